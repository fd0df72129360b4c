import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { EncryptedColumn } from './crypto/keyring.ts'
import type { JobDefinition } from './jobs/jobs.ts'
import type { MailAttachmentSource, MailSentHandler, Platform } from './platform.ts'
import type { PrivacyProvider } from './privacy/registry.ts'

export interface Command {
  /** One or two words, e.g. `user create-admin`. */
  name: string
  summary: string
  usage: string
  run(platform: Platform, args: string[]): Promise<number>
}

/** What a feature plugs into the app. The list of features lives in src/app.ts. */
export interface Feature {
  name: string
  /** Root-level hooks and decorators (not encapsulated), applied before any routes. */
  setup?(app: FastifyInstance): void
  /** Routes and pages, registered as an encapsulated plugin. */
  routes?(app: FastifyInstance): Promise<void>
  jobs?: JobDefinition<Platform, never>[]
  privacy?: PrivacyProvider
  encryptedColumns?: EncryptedColumn[]
  /** Attachments its emails name, rendered at send time; keys are source names, e.g. `credentials.certificate`. */
  mailAttachments?: Record<string, MailAttachmentSource>
  onMailSent?: MailSentHandler
  /** Runs in a browser's sign-out request before its login session ends, so it can still read that session's secrets. */
  onSignOut?: SignOutHandler
  commands?: Command[]
  /** Background work of a worker process besides its jobs (e.g. a sweeper), started with the worker; `stop` runs before the platform closes. */
  onWorkerStart?(platform: Platform): WorkerTask
}

export type SignOutHandler = (platform: Platform, request: FastifyRequest, reply: FastifyReply) => Promise<void>

export interface WorkerTask {
  stop(): Promise<void>
}
