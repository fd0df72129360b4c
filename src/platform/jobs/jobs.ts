import { randomUUID } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import type pg from 'pg'
import { fromDrizzle, PgBoss } from 'pg-boss'
import type { Static, TSchema } from 'typebox'
import { Value } from 'typebox/value'
import type { Db } from '../db/client.ts'
import { jobProgress } from './schema.ts'

export interface JobRunContext<Services> {
  services: Services
  jobId: string
  signal: AbortSignal
  /** Records progress for the live progress bar; cheap enough to call every few hundred items. */
  progress(done: number, total: number, message?: string): Promise<void>
}

export interface JobDefinition<Services = unknown, Payload = unknown> {
  /** `<feature>.<verb>`, e.g. `crypto.rotate-keys`. */
  name: string
  /** Shown above the progress bar. */
  title: string
  payload: TSchema
  retryLimit: number
  run(context: JobRunContext<Services>, payload: Payload): Promise<void>
}

export function defineJob<Services, Schema extends TSchema>(definition: {
  name: string
  title: string
  payload: Schema
  retryLimit?: number
  run(context: JobRunContext<Services>, payload: Static<Schema>): Promise<void>
}): JobDefinition<Services, Static<Schema>> {
  return { retryLimit: 2, ...definition }
}

export interface EnqueueOptions {
  orgId?: string | null
  accountId?: string | null
}

const PG_BOSS_SCHEMA = 'pgboss'
/**
 * A worker refreshes every running job's heartbeat every HEARTBEAT_REFRESH_SECONDS; pg-boss's
 * supervisor, every SUPERVISE_SECONDS, fails a job whose heartbeat is older than HEARTBEAT_SECONDS
 * into a retry. So a job whose process died is taken up again about half a minute later (once a
 * worker runs), not after pg-boss's 15-minute expiry.
 */
const HEARTBEAT_SECONDS = 15
const HEARTBEAT_REFRESH_SECONDS = 3
const SUPERVISE_SECONDS = 10

/**
 * Durable background jobs on pg-boss, in the same database. Payloads carry IDs, never secrets or
 * personal data. Every job has a `job_progress` row that pages poll for a live progress bar.
 */
export class Jobs<Services> {
  private readonly boss: PgBoss
  private readonly definitions = new Map<string, JobDefinition<Services, never>>()
  private starting: Promise<void> | undefined

  constructor(
    connection: pg.PoolConfig,
    private readonly db: Db,
    private readonly onError: (error: unknown) => void,
  ) {
    this.boss = new PgBoss({
      ...(connection as object),
      schema: PG_BOSS_SCHEMA,
      max: 3,
      superviseIntervalSeconds: SUPERVISE_SECONDS,
      monitorIntervalSeconds: SUPERVISE_SECONDS,
      registerInstance: false,
    } as ConstructorParameters<typeof PgBoss>[0])
    this.boss.on('error', onError)
  }

  register(definitions: JobDefinition<Services, never>[]): void {
    for (const definition of definitions) this.definitions.set(definition.name, definition)
  }

  /** Starts the queue once; later calls (and every enqueue) wait for that same start. */
  start(): Promise<void> {
    this.starting ??= (async () => {
      await this.boss.start()
      for (const name of this.definitions.keys()) await this.boss.createQueue(name)
    })()
    return this.starting
  }

  /** Enqueues a job; pass the caller's transaction so the job exists only if the transaction commits. */
  async enqueue<Payload>(db: Db, job: JobDefinition<Services, Payload>, payload: Payload, options: EnqueueOptions = {}): Promise<string> {
    if (!Value.Check(job.payload, payload)) throw new Error(`Invalid payload for job ${job.name}.`)
    await this.start()
    const jobId = randomUUID()
    await db.insert(jobProgress).values({ jobId, name: job.name, title: job.title, orgId: options.orgId ?? null, accountId: options.accountId ?? null })
    await this.boss.send(job.name, payload as object, {
      id: jobId,
      retryLimit: job.retryLimit,
      retryBackoff: true,
      heartbeatSeconds: HEARTBEAT_SECONDS,
      db: fromDrizzle(db as Parameters<typeof fromDrizzle>[0], sql),
    })
    return jobId
  }

  /** Starts taking jobs from every registered queue. */
  async work(services: Services, options: { only?: string[] } = {}): Promise<void> {
    for (const definition of this.definitions.values()) {
      if (options.only && !options.only.includes(definition.name)) continue
      await this.boss.work(
        definition.name,
        { pollingIntervalSeconds: 0.5, batchSize: 1, heartbeatRefreshSeconds: HEARTBEAT_REFRESH_SECONDS },
        async ([job]) => {
          if (!job) return
          await this.runOne(definition, job.id, job.data, job.signal, services)
        },
      )
    }
  }

  private async runOne(definition: JobDefinition<Services, never>, jobId: string, payload: unknown, signal: AbortSignal, services: Services): Promise<void> {
    const setState = (values: Partial<typeof jobProgress.$inferInsert>) => this.db.update(jobProgress).set(values).where(eq(jobProgress.jobId, jobId))
    await setState({ state: 'running', message: null })
    try {
      await definition.run(
        { services, jobId, signal, progress: (done, total, message) => setState({ done, total, message: message ?? null }).then(() => {}) },
        payload as never,
      )
      await setState({ state: 'completed', finishedAt: new Date() })
    } catch (error) {
      this.onError(error)
      await setState({ state: 'failed', message: 'The job failed; it will be retried if attempts remain.', finishedAt: new Date() })
      throw error
    }
  }

  async getProgress(jobId: string) {
    const [row] = await this.db.select().from(jobProgress).where(eq(jobProgress.jobId, jobId))
    return row
  }

  /** Waits for running jobs to finish (up to `timeoutMs`); unfinished ones go back to the queue. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (!this.starting) return
    await this.starting
    await this.boss.stop({ graceful: true, timeout: timeoutMs, close: true })
    this.starting = undefined
  }
}
