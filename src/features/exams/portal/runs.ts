import { and, asc, count, desc, eq, inArray, isNull, sql } from 'drizzle-orm'
import { Type } from 'typebox'
import type { Db } from '../../../platform/db/client.ts'
import { ConflictError, InvalidError, NotFoundError } from '../../../platform/errors.ts'
import type { WorkerTask } from '../../../platform/feature.ts'
import { newId, newSecret } from '../../../platform/ids.ts'
import { defineJob, type JobRunContext } from '../../../platform/jobs/jobs.ts'
import { startSweeper } from '../../../platform/jobs/sweeper.ts'
import type { Platform } from '../../../platform/platform.ts'
import { type OrgScope, requireRole, resolveOrgScope } from '../../orgs/service.ts'
import { type PortalRunItemState, type PortalRunState, portalRunItems, portalRuns } from '../schema.ts'
import { type ExamSessionView, getExamSessionViews } from '../sessions/sessions.ts'
import { applyPortalAction, checkPortalAction } from './actions.ts'
import { connectorFor, getPortalConnection } from './connection.ts'
import {
  type PortalAction,
  type PortalActor,
  PortalAuthError,
  type PortalConnector,
  PortalError,
  PortalRuleError,
  type PortalRuleViolation,
} from './connector.ts'
import type { PortalAccess } from './interactive.ts'

/*
 * Batch mode: a portal run sends one action (create, confirm or cancel) for many exam sessions, as a
 * job. Privacy: runs and their items hold IDs, states and portal messages only, no personal data.
 *
 * Secrets: the job never sees the portal password. Starting a run (in the request of a connected
 * user) makes a fresh portal login for the run; its token is encrypted by the keyring and stored
 * with the run, so any worker can resume the run after a crash, and the sweeper can log the token out
 * whatever happened to the process that held it. The job payload is the run ID only. When the run
 * ends, however it ends, the token is logged out at the portal and wiped from the row; the sweeper
 * does the same for finished runs whose worker died before that, and resumes those still running.
 *
 * Never twice: every item is sent with the exam session's idempotency key (portalIdempotencyKey), is
 * marked done only after the portal answered, and a resumed run sends its pending items again with
 * the same keys, so the portal returns the session it already made instead of a second one.
 */

export const PORTAL_RUN_CONCURRENCY = 4
const HEARTBEAT_MS = 2000
/** A running run whose heartbeat is older than this lost its worker; the sweeper resumes it. */
export const STALE_HEARTBEAT_SECONDS = 15
export const SWEEP_INTERVAL_MS = 10_000
const MAX_RUN_ITEMS = 5000
const PROGRESS_EVERY_MS = 500

export type PortalRun = typeof portalRuns.$inferSelect
export type PortalRunItem = typeof portalRunItems.$inferSelect

const FINISHED: PortalRunState[] = ['completed', 'failed', 'stopped']
export const isRunFinished = (state: PortalRunState) => FINISHED.includes(state)

// The run's token, keyring-encrypted in its row until the run ends

interface RunSecret {
  token: string
  expiresAt: string
  actor: PortalActor
}

const sealSecret = (platform: Platform, secret: RunSecret) => platform.keyring.encrypt(JSON.stringify(secret))

async function openSecret(platform: Platform, run: Pick<PortalRun, 'tokenEncrypted'>): Promise<RunSecret | null> {
  return run.tokenEncrypted ? (JSON.parse(await platform.keyring.decrypt(run.tokenEncrypted)) as RunSecret) : null
}

/**
 * Logs the run's token out at the portal (best effort: an unreachable portal lets it expire) and wipes it from the row.
 * It reads the row again: a key rotation during the run re-encrypted the token and retired the key of the copy read at its start.
 */
async function wipeRunToken(platform: Platform, run: Pick<PortalRun, 'id' | 'orgId'>, connector?: PortalConnector): Promise<void> {
  const [row] = await platform.db.select({ tokenEncrypted: portalRuns.tokenEncrypted }).from(portalRuns).where(eq(portalRuns.id, run.id))
  const secret = row ? await openSecret(platform, row) : null
  if (secret) {
    const portal = connector ?? (await connectorOf(platform, run.orgId))
    await portal
      ?.logout(secret.token)
      .catch((error: unknown) =>
        platform.log.warn({ runId: run.id, code: error instanceof PortalError ? error.code : 'error' }, 'portal run token logout failed'),
      )
  }
  await platform.db.update(portalRuns).set({ tokenEncrypted: null, tokenWipedAt: new Date() }).where(eq(portalRuns.id, run.id))
}

async function connectorOf(platform: Platform, orgId: string): Promise<PortalConnector | null> {
  const connection = await getPortalConnection(platform, orgId)
  return connection ? connectorFor(platform, connection) : null
}

// Preview and start

export interface PortalRunInput {
  action: PortalAction
  examSessionIds: string[]
  /** Required to cancel: the portal and the candidates are told. */
  reason?: string
}

export interface PortalRunPreview {
  action: PortalAction
  reason: string
  toSend: ExamSessionView[]
  refused: { session: ExamSessionView; violations: PortalRuleViolation[] }[]
}

function normalise(input: PortalRunInput): { ids: string[]; reason: string } {
  const ids = [...new Set(input.examSessionIds)]
  if (ids.length === 0) throw new InvalidError('no_exam_sessions', 'Choose at least one exam session.')
  if (ids.length > MAX_RUN_ITEMS) throw new InvalidError('too_many_exam_sessions', `A run takes at most ${MAX_RUN_ITEMS} exam sessions.`)
  const reason = (input.reason ?? '').trim()
  if (input.action === 'cancel' && (reason.length < 3 || reason.length > 500)) {
    throw new InvalidError('reason_required', 'Give a reason for cancelling (3 to 500 characters).', { reason: 'Give a reason (3 to 500 characters).' })
  }
  return { ids, reason: input.action === 'cancel' ? reason : '' }
}

/** The dry run: which exam sessions would be sent, and which break a rule (never sent). Sends nothing. */
export async function previewPortalRun(
  platform: Platform,
  scope: OrgScope,
  access: Pick<PortalAccess, 'connector' | 'actor'>,
  input: PortalRunInput,
): Promise<PortalRunPreview> {
  requireRole(scope, 'staff')
  const { ids, reason } = normalise(input)
  const views = await getExamSessionViews(platform.db, scope, ids)
  const missing = ids.find((id) => !views.has(id))
  if (missing) throw new NotFoundError('exam_session', missing)
  const now = platform.clock.now()
  const preview: PortalRunPreview = { action: input.action, reason, toSend: [], refused: [] }
  for (const id of ids) {
    const session = views.get(id) as ExamSessionView
    const violations = checkPortalAction(access.connector.rules, input.action, session, now, access.actor)
    if (violations.length > 0) preview.refused.push({ session, violations })
    else preview.toSend.push(session)
  }
  return preview
}

/**
 * Starts a run on the user's confirmation: checks every item again, logs in at the portal afresh for
 * the run (the job gets that token, never the password), and enqueues the job. Items that break a
 * rule are stored as skipped, naming the rule; they are never sent.
 */
export async function startPortalRun(platform: Platform, scope: OrgScope, access: PortalAccess, input: PortalRunInput): Promise<PortalRun> {
  const preview = await previewPortalRun(platform, scope, access, input)
  if (preview.toSend.length === 0) throw new ConflictError('nothing_to_send', 'None of these exam sessions can be sent to the portal: each breaks a rule.')
  const runId = newId('prun')
  const login = await access.connector.login(access.credentials.username, access.credentials.password)
  try {
    return await platform.db.transaction(async (tx) => {
      const [run] = await tx
        .insert(portalRuns)
        .values({
          id: runId,
          orgId: scope.orgId,
          action: preview.action,
          cancelReason: preview.action === 'cancel' ? preview.reason : null,
          total: preview.toSend.length + preview.refused.length,
          tokenEncrypted: sealSecret(platform, { token: login.token, expiresAt: login.expiresAt.toISOString(), actor: login.actor }),
          createdByAccountId: scope.accountId,
        })
        .returning()
      if (!run) throw new Error('The portal run was not stored.')
      const items = [
        ...preview.toSend.map((session) => ({ examSessionId: session.id })),
        ...preview.refused.map(({ session, violations }) => ({
          examSessionId: session.id,
          state: 'skipped' as const,
          rule: violations[0]?.rule ?? null,
          message: violations.map((violation) => violation.message).join(' '),
        })),
      ]
      for (let start = 0; start < items.length; start += 500) {
        await tx.insert(portalRunItems).values(items.slice(start, start + 500).map((item, i) => ({ ...item, runId, orgId: scope.orgId, position: start + i })))
      }
      const jobId = await platform.jobs.enqueue(tx, portalRunJob, { runId }, { orgId: scope.orgId, accountId: scope.accountId })
      await tx.update(portalRuns).set({ jobId }).where(eq(portalRuns.id, runId))
      await platform.audit.recordIn(tx, {
        action: 'exams.portal_run_started',
        orgId: scope.orgId,
        actorAccountId: scope.accountId,
        target: runId,
        data: { action: preview.action, toSend: preview.toSend.length, refused: preview.refused.length },
      })
      return { ...run, jobId }
    })
  } catch (error) {
    await access.connector.logout(login.token).catch(() => {})
    throw error
  }
}

/** Asks a run to stop: items not yet sent stay unsent. */
export async function stopPortalRun(platform: Platform, scope: OrgScope, runId: string): Promise<void> {
  requireRole(scope, 'staff')
  const run = await getPortalRun(platform.db, scope, runId)
  if (isRunFinished(run.state)) return
  await platform.db.transaction(async (tx) => {
    await tx
      .update(portalRuns)
      .set({ state: 'cancelling' })
      .where(and(eq(portalRuns.id, runId), inArray(portalRuns.state, ['queued', 'running'])))
    await platform.audit.recordIn(tx, { action: 'exams.portal_run_stop_requested', orgId: scope.orgId, actorAccountId: scope.accountId, target: runId })
  })
}

export async function getPortalRun(db: Db, scope: { orgId: string }, runId: string): Promise<PortalRun> {
  const [run] = await db
    .select()
    .from(portalRuns)
    .where(and(eq(portalRuns.orgId, scope.orgId), eq(portalRuns.id, runId)))
  if (!run) throw new NotFoundError('portal_run', runId)
  return run
}

export async function listPortalRunItems(db: Db, scope: { orgId: string }, runId: string): Promise<PortalRunItem[]> {
  return db
    .select()
    .from(portalRunItems)
    .where(and(eq(portalRunItems.orgId, scope.orgId), eq(portalRunItems.runId, runId)))
    .orderBy(asc(portalRunItems.position))
}

export type PortalRunCounts = Record<PortalRunItemState, number>

export async function countPortalRunItems(db: Db, scope: { orgId: string }, runId: string): Promise<PortalRunCounts> {
  const rows = await db
    .select({ state: portalRunItems.state, count: count() })
    .from(portalRunItems)
    .where(and(eq(portalRunItems.orgId, scope.orgId), eq(portalRunItems.runId, runId)))
    .groupBy(portalRunItems.state)
  const counts: PortalRunCounts = { pending: 0, done: 0, failed: 0, skipped: 0 }
  for (const row of rows) counts[row.state] = row.count
  return counts
}

export async function listPortalRuns(db: Db, scope: { orgId: string }, limit = 20): Promise<PortalRun[]> {
  return db.select().from(portalRuns).where(eq(portalRuns.orgId, scope.orgId)).orderBy(desc(portalRuns.createdAt)).limit(limit)
}

// The job

const setItem = (platform: Platform, runId: string, examSessionId: string, values: Partial<typeof portalRunItems.$inferInsert>) =>
  platform.db
    .update(portalRunItems)
    .set(values)
    .where(and(eq(portalRunItems.runId, runId), eq(portalRunItems.examSessionId, examSessionId)))

/** Takes the run for this worker when it is queued, or when its worker stopped beating; null when another worker holds it or it is over. */
async function claimRun(platform: Platform, runId: string, claimId: string): Promise<PortalRun | null> {
  const rows = await platform.db.execute<{ id: string }>(sql`
    update portal_runs
       set state = case when state = 'queued' then 'running' else state end, claim_id = ${claimId}, heartbeat_at = now(), updated_at = now()
     where id = ${runId}
       and (state = 'queued'
            or (state in ('running', 'cancelling')
                and (heartbeat_at is null or heartbeat_at < now() - make_interval(secs => ${STALE_HEARTBEAT_SECONDS}))))
    returning id`)
  if (rows.rows.length === 0) return null
  const [run] = await platform.db.select().from(portalRuns).where(eq(portalRuns.id, runId))
  return run ?? null
}

/** Runs (or resumes) one portal run in this worker. */
export async function processPortalRun(platform: Platform, runId: string, progress?: JobRunContext<Platform>['progress']): Promise<void> {
  const claimId = newSecret(12)
  const run = await claimRun(platform, runId, claimId)
  if (!run) return
  let isStopRequested = run.state === 'cancelling'
  let isClaimLost = false
  const beat = async () => {
    const [row] = await platform.db
      .update(portalRuns)
      .set({ heartbeatAt: sql`now()` })
      .where(and(eq(portalRuns.id, runId), eq(portalRuns.claimId, claimId)))
      .returning({ state: portalRuns.state })
    if (!row) isClaimLost = true
    else if (row.state === 'cancelling') isStopRequested = true
  }
  const heartbeat = setInterval(() => {
    beat().catch((error: unknown) => platform.log.warn({ err: error, runId }, 'portal run heartbeat failed'))
  }, HEARTBEAT_MS)
  heartbeat.unref()
  const connector = await connectorOf(platform, run.orgId)
  let outcome: { state: PortalRunState; message: string | null } = { state: 'completed', message: null }
  try {
    const secret = await openSecret(platform, run)
    // The run acts as the person who started it, as long as they are still staff of the org.
    const scope = await resolveOrgScope(platform.db, { orgId: run.orgId, accountId: run.createdByAccountId, isPlatformAdmin: false })
      .then((found) => {
        requireRole(found, 'staff')
        return found
      })
      .catch(() => null)
    if (!scope) outcome = { state: 'failed', message: 'The person who started this run can no longer act for the organisation; nothing more was sent.' }
    else if (!connector) outcome = { state: 'failed', message: 'The organisation has no testing portal set up any more.' }
    else if (!secret) outcome = { state: 'failed', message: 'The run holds no portal token any more; nothing more was sent.' }
    else
      outcome = await sendItems(
        platform,
        scope,
        run,
        { connector, secret },
        () => isStopRequested,
        () => isClaimLost,
        progress,
      )
    if (outcome.state === 'failed') {
      await platform.db
        .update(portalRunItems)
        .set({ state: 'failed', message: outcome.message })
        .where(and(eq(portalRunItems.runId, runId), eq(portalRunItems.state, 'pending')))
    } else if (outcome.state === 'stopped') {
      await platform.db
        .update(portalRunItems)
        .set({ state: 'skipped', rule: 'run_stopped', message: 'The run was stopped before this was sent.' })
        .where(and(eq(portalRunItems.runId, runId), eq(portalRunItems.state, 'pending')))
    }
  } catch (error) {
    platform.log.error({ err: error, runId }, 'portal run failed')
    outcome = { state: 'failed', message: 'The run stopped on an unexpected error; items not done were not sent.' }
    await platform.db
      .update(portalRunItems)
      .set({ state: 'failed', message: outcome.message })
      .where(and(eq(portalRunItems.runId, runId), eq(portalRunItems.state, 'pending')))
      .catch(() => {})
  } finally {
    clearInterval(heartbeat)
    if (!isClaimLost) {
      const [finished] = await platform.db
        .update(portalRuns)
        .set({ state: outcome.state, message: outcome.message, finishedAt: new Date(), heartbeatAt: null })
        .where(and(eq(portalRuns.id, runId), eq(portalRuns.claimId, claimId)))
        .returning({ id: portalRuns.id })
      if (finished) {
        await wipeRunToken(platform, run, connector ?? undefined)
        const counts = await countPortalRunItems(platform.db, run, runId)
        await platform.audit.recordIn(platform.db, {
          action: 'exams.portal_run_finished',
          orgId: run.orgId,
          actorAccountId: null,
          target: runId,
          data: { state: outcome.state, ...counts },
        })
        await progress?.(run.total - counts.pending, run.total, outcome.message ?? undefined)
      }
    }
  }
}

async function sendItems(
  platform: Platform,
  scope: OrgScope,
  run: PortalRun,
  portal: { connector: PortalConnector; secret: RunSecret },
  isStopRequested: () => boolean,
  isClaimLost: () => boolean,
  progress?: JobRunContext<Platform>['progress'],
): Promise<{ state: PortalRunState; message: string | null }> {
  const pending = await platform.db
    .select({ examSessionId: portalRunItems.examSessionId })
    .from(portalRunItems)
    .where(and(eq(portalRunItems.runId, run.id), eq(portalRunItems.state, 'pending')))
    .orderBy(asc(portalRunItems.position))
  const views = await getExamSessionViews(
    platform.db,
    scope,
    pending.map((item) => item.examSessionId),
  )
  let handled = run.total - pending.length
  let lastProgress = 0
  let authFailure: string | null = null
  const report = async () => {
    if (!progress || Date.now() - lastProgress < PROGRESS_EVERY_MS) return
    lastProgress = Date.now()
    await progress(handled, run.total)
  }
  await report()
  const action = run.action
  const reason = run.cancelReason ?? ''
  let next = 0
  const worker = async () => {
    for (;;) {
      if (isStopRequested() || isClaimLost() || authFailure !== null) return
      const item = pending[next++]
      if (!item) return
      await sendOne(item.examSessionId)
      handled++
      await report()
    }
  }
  const sendOne = async (examSessionId: string) => {
    const session = views.get(examSessionId)
    if (!session) {
      await setItem(platform, run.id, examSessionId, { state: 'failed', message: 'The exam session no longer exists.' })
      return
    }
    if (action === 'create' && session.portalSessionId) {
      // Sent by this run before a restart (or by someone else meanwhile): it is at the portal.
      await setItem(platform, run.id, examSessionId, { state: 'done', portalSessionId: session.portalSessionId })
      return
    }
    const violations = checkPortalAction(portal.connector.rules, action, session, platform.clock.now(), portal.secret.actor)
    if (violations.length > 0) {
      await setItem(platform, run.id, examSessionId, {
        state: 'skipped',
        rule: violations[0]?.rule ?? null,
        message: violations.map((violation) => violation.message).join(' '),
      })
      return
    }
    await setItem(platform, run.id, examSessionId, { attempts: sql`${portalRunItems.attempts} + 1` as unknown as number })
    try {
      const result = await applyPortalAction(platform, scope, { connector: portal.connector, token: portal.secret.token }, action, session, reason)
      await setItem(platform, run.id, examSessionId, { state: 'done', portalSessionId: result.id, message: null })
    } catch (error) {
      if (error instanceof PortalAuthError) {
        // The token expired or was ended: nothing more can be sent with it; this item stays unsent.
        authFailure = 'The portal no longer accepts this run’s token (it expired or was logged out); items not done were not sent.'
        return
      }
      const message = error instanceof PortalError ? error.message : 'Unexpected error; see the logs.'
      if (!(error instanceof PortalError)) platform.log.error({ err: error, runId: run.id, examSessionId }, 'portal run item failed')
      await setItem(platform, run.id, examSessionId, {
        state: 'failed',
        message: message.slice(0, 500),
        rule: error instanceof PortalRuleError ? error.rule : null,
      })
    }
  }
  await Promise.all(Array.from({ length: PORTAL_RUN_CONCURRENCY }, worker))
  if (authFailure) return { state: 'failed', message: authFailure }
  if (isStopRequested()) return { state: 'stopped', message: 'Stopped on request; items not sent are marked skipped.' }
  return { state: 'completed', message: null }
}

/** Payload: the run ID only; the portal token waits in the run's row, encrypted. */
export const portalRunJob = defineJob({
  name: 'exams.portal-run',
  title: 'Sending to the testing portal',
  payload: Type.Object({ runId: Type.String({ maxLength: 64 }) }),
  retryLimit: 1,
  run: ({ services, progress }: JobRunContext<Platform>, { runId }) => processPortalRun(services, runId, progress),
})

// The sweeper

/**
 * Resumes runs whose worker died (heartbeat stale) by enqueueing them again (the claim makes
 * duplicate jobs harmless), and logs out and wipes the token of finished runs that still hold one.
 */
export async function sweepPortalRuns(platform: Platform): Promise<{ resumed: number; wiped: number }> {
  const stale = await platform.db.transaction(async (tx) => {
    const rows = await tx.execute<{ id: string; org_id: string; created_by_account_id: string }>(sql`
      update portal_runs set heartbeat_at = null, updated_at = now()
       where state in ('running', 'cancelling') and heartbeat_at < now() - make_interval(secs => ${STALE_HEARTBEAT_SECONDS})
      returning id, org_id, created_by_account_id`)
    for (const row of rows.rows) {
      const jobId = await platform.jobs.enqueue(tx, portalRunJob, { runId: row.id }, { orgId: row.org_id, accountId: row.created_by_account_id })
      await tx.update(portalRuns).set({ jobId }).where(eq(portalRuns.id, row.id))
    }
    return rows.rows
  })
  for (const row of stale) platform.log.info({ runId: row.id }, 'resuming a portal run whose worker stopped')
  const finished = await platform.db
    .select({ id: portalRuns.id, orgId: portalRuns.orgId })
    .from(portalRuns)
    .where(and(inArray(portalRuns.state, FINISHED), isNull(portalRuns.tokenWipedAt)))
    .limit(100)
  for (const run of finished) await wipeRunToken(platform, run)
  return { resumed: stale.length, wiped: finished.length }
}

/** Sweeps now and every SWEEP_INTERVAL_MS in a worker process. */
export const startPortalRunSweeper = (platform: Platform): WorkerTask =>
  startSweeper(platform, { what: 'portal run sweep', intervalMs: SWEEP_INTERVAL_MS, sweep: sweepPortalRuns })
