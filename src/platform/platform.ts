import type { Redis } from 'ioredis'
import { Redis as RedisClient } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from '../config.ts'
import { CheckpointFile } from './audit/checkpoint.ts'
import { AuditLog, deriveAuditKey } from './audit/log.ts'
import { type Clock, systemClock } from './clock.ts'
import type { HmacSha256 } from './crypto/hashing.ts'
import { rotateKeysJob } from './crypto/jobs.ts'
import { type EncryptedColumn, Keyring, loadMasterKey } from './crypto/keyring.ts'
import { type Database, type Db, openDatabase } from './db/client.ts'
import { migrateDatabase } from './db/migrate.ts'
import { type JobDefinition, Jobs } from './jobs/jobs.ts'
import { deliverMailJob } from './mail/jobs.ts'
import { Mailer, type RenderedAttachment } from './mail/mailer.ts'
import { Memo } from './memo.ts'
import type { PrivacyProvider } from './privacy/registry.ts'

/** The shared services every route, page, command and job receives. */
export interface Platform {
  config: Config
  database: Database
  db: Db
  keyring: Keyring
  masterKey: Buffer
  audit: AuditLog
  auditKey: HmacSha256
  /** The signed anchor of the audit chain's head outside the database (see audit/checkpoint.ts). */
  auditCheckpoint: CheckpointFile
  mailer: Mailer
  jobs: Jobs<Platform>
  redis: Redis | undefined
  /** Per-process copies of what nearly every request reads; see memo.ts. */
  memo: Memo
  clock: Clock
  log: Logger
  privacyProviders: PrivacyProvider[]
  encryptedColumns: EncryptedColumn[]
  close(): Promise<void>
}

/** Renders one kind of attachment when its message is sent, from the reference the message stores. */
export type MailAttachmentSource = (platform: Platform, ref: string) => Promise<RenderedAttachment>
export type MailSentHandler = (platform: Platform, db: Db, messageId: string) => Promise<void>

export interface PlatformOptions {
  log: Logger
  clock?: Clock
  jobs: JobDefinition<Platform, never>[]
  privacyProviders: PrivacyProvider[]
  encryptedColumns: EncryptedColumn[]
  /** Attachment renderers by source name (`Feature.mailAttachments`). */
  mailAttachments: Record<string, MailAttachmentSource>
  /** Told of every message the mail server accepted (`Feature.onMailSent`). */
  mailSentHandlers: MailSentHandler[]
  /** Apply migrations before anything touches the tables (on by default). */
  migrate?: boolean
  /** Keep the audit checkpoint moving with the chain (on by default; off for `audit verify`, which checks it). */
  writesAuditCheckpoints?: boolean
}

export async function openPlatform(config: Config, options: PlatformOptions): Promise<Platform> {
  const database = await openDatabase(config.database, { log: options.log })
  try {
    if (options.migrate !== false) await migrateDatabase(database.pool)
    const masterKey = await loadMasterKey(config.masterKey, config.dataDir)
    const keyring = await Keyring.open(database.db, masterKey)
    const auditKey = deriveAuditKey(masterKey, 'chain')
    const auditCheckpoint = new CheckpointFile(config.auditCheckpointFile, deriveAuditKey(masterKey, 'checkpoint'))
    const onError = (error: unknown) => options.log.error({ err: error }, 'background error')
    const clock = options.clock ?? systemClock
    const audit = new AuditLog(database.db, auditKey, onError, options.writesAuditCheckpoints === false ? undefined : { file: auditCheckpoint, clock }, clock)
    const jobs = new Jobs<Platform>(database.connection, database.db, onError)
    jobs.register([deliverMailJob, rotateKeysJob, ...options.jobs] as JobDefinition<Platform, never>[])
    const mailer = new Mailer(keyring, {
      from: config.mailFrom,
      smtpUrl: config.smtpUrl,
      dkim: config.dkim,
      enqueueDelivery: async (db, messageIds) => {
        await jobs.enqueue(db, deliverMailJob, { messageIds })
      },
      renderAttachment: ({ source, ref }) => {
        const render = options.mailAttachments[source]
        if (!render) throw new Error(`No attachment source named ${source}.`)
        return render(platform, ref)
      },
      onSent: async (db, messageId) => {
        for (const handler of options.mailSentHandlers) await handler(platform, db, messageId)
      },
    })
    const redis = config.redisUrl ? new RedisClient(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 }) : undefined
    const memo = new Memo(clock, redis)
    await memo.listen()
    const platform: Platform = {
      config,
      database,
      db: database.db,
      keyring,
      masterKey,
      audit,
      auditKey,
      auditCheckpoint,
      mailer,
      jobs,
      redis,
      memo,
      clock,
      log: options.log,
      privacyProviders: options.privacyProviders,
      encryptedColumns: [
        { table: 'mail_messages', idColumn: 'id', column: 'body_encrypted' },
        { table: 'mail_messages', idColumn: 'id', column: 'html_encrypted' },
        ...options.encryptedColumns,
      ],
      async close() {
        await jobs.stop()
        await audit.close()
        await mailer.close()
        memo.close()
        redis?.disconnect()
        await database.close()
      },
    }
    return platform
  } catch (error) {
    await database.close()
    throw error
  }
}
