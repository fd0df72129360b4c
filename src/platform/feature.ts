import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
} from 'fastify'
import type { EncryptedColumn } from './crypto/keyring.ts'
import type { JobDefinition } from './jobs/jobs.ts'
import type { MailAttachmentSource, MailSentHandler, Platform } from './platform.ts'
import type { PrivacyProvider } from './privacy/registry.ts'
import type { OrgNavItem } from './ui/navigation.ts'

export interface Command {
  /** One or two words, e.g. `user create-admin`. */
  name: string
  summary: string
  usage: string
  run(platform: Platform, args: string[]): Promise<number>
}

/**
 * The app as route plugins receive it: a handler's `request.params`, `query` and `body` are typed from the
 * TypeBox schemas that validate them, so a schema and its handler cannot drift apart without failing `tsc`.
 */
export type TypedApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>

/** The request a route with this schema hands its handler, for a handler written apart from its route (and shared by routes with the same schema). */
export type TypedRequest<Schema extends FastifySchema> = FastifyRequest<
  RouteGenericInterface,
  RawServerDefault,
  RawRequestDefaultExpression,
  Schema,
  TypeBoxTypeProvider
>

/** What a feature plugs into the app. The list of features lives in src/app.ts. */
export interface Feature {
  name: string
  /** Root-level hooks and decorators (not encapsulated), applied before any routes. */
  setup?(app: FastifyInstance): void
  /** Routes and pages, registered as an encapsulated plugin. */
  routes?(app: TypedApp): Promise<void>
  /** Its org pages in the side navigation, each in a group; drawn in feature order within a group. */
  navigation?: OrgNavItem[]
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
