import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import { credentials } from './features/credentials/feature.ts'
import { exams } from './features/exams/feature.ts'
import { identity } from './features/identity/feature.ts'
import { orgs } from './features/orgs/feature.ts'
import { breachPrivacy } from './features/privacy-center/breach/privacy.ts'
import { consentPrivacy } from './features/privacy-center/consent/privacy.ts'
import { dataExportsPrivacy } from './features/privacy-center/export/privacy.ts'
import { privacyCenter } from './features/privacy-center/feature.ts'
import { policyPrivacy } from './features/privacy-center/policy/privacy.ts'
import { privacyRequestsPrivacy } from './features/privacy-center/requests/privacy.ts'
import { retentionPrivacy } from './features/privacy-center/retention/privacy.ts'
import { auditPrivacy } from './platform/audit/privacy.ts'
import type { Clock } from './platform/clock.ts'
import { keyringPrivacy } from './platform/crypto/privacy.ts'
import type { Command, Feature, WorkerTask } from './platform/feature.ts'
import { buildServer } from './platform/http/server.tsx'
import { jobsPrivacy } from './platform/jobs/privacy.ts'
import { mailPrivacy } from './platform/mail/privacy.ts'
import { openPlatform, type Platform } from './platform/platform.ts'
import type { PrivacyProvider } from './platform/privacy/registry.ts'
import { restrictionsPrivacy } from './platform/privacy/restrictions.ts'

/** Every feature, in the order their routes and hooks are installed. */
export const features: Feature[] = [identity, orgs, credentials, exams, privacyCenter]

export const privacyProviders: PrivacyProvider[] = [
  auditPrivacy,
  keyringPrivacy,
  jobsPrivacy,
  mailPrivacy,
  restrictionsPrivacy,
  dataExportsPrivacy,
  privacyRequestsPrivacy,
  retentionPrivacy,
  ...features.flatMap((feature) => (feature.privacy ? [feature.privacy] : [])),
  breachPrivacy,
  policyPrivacy,
  consentPrivacy,
]

export const featureCommands: Command[] = features.flatMap((feature) => feature.commands ?? [])

export function startPlatform(config: Config, options: { log: Logger; clock?: Clock; migrate?: boolean; writesAuditCheckpoints?: boolean }): Promise<Platform> {
  return openPlatform(config, {
    ...options,
    jobs: features.flatMap((feature) => feature.jobs ?? []),
    privacyProviders,
    encryptedColumns: features.flatMap((feature) => feature.encryptedColumns ?? []),
    mailAttachments: Object.assign({}, ...features.map((feature) => feature.mailAttachments ?? {})),
    mailSentHandlers: features.flatMap((feature) => (feature.onMailSent ? [feature.onMailSent] : [])),
  })
}

export function buildApp(platform: Platform): Promise<FastifyInstance> {
  return buildServer(platform, features)
}

/** Makes this process a worker: takes jobs from every queue and starts each feature's worker tasks. Stop it before closing the platform. */
export async function startWorker(platform: Platform): Promise<WorkerTask> {
  await platform.jobs.start()
  await platform.jobs.work(platform)
  const tasks = features.flatMap((feature) => (feature.onWorkerStart ? [feature.onWorkerStart(platform)] : []))
  return {
    async stop() {
      await Promise.all(tasks.map((task) => task.stop()))
    },
  }
}
