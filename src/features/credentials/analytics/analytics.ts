import { and, count, desc, eq, gte, inArray, type SQL, sql } from 'drizzle-orm'
import { unionAll } from 'drizzle-orm/pg-core'
import type { FastifyRequest } from 'fastify'
import type { Db } from '../../../platform/db/client.ts'
import { newId } from '../../../platform/ids.ts'
import type { Platform } from '../../../platform/platform.ts'
import { childEmailsAmong } from '../../identity/service.ts'
import { hasRole, listOrgsForAccount } from '../../orgs/service.ts'
import { isCredentialHolder } from '../holder.ts'
import { ourCredentialIdOf, type VerificationReport } from '../public/verification.ts'
import { achievements, type CredentialEventKind, credentialEventMonths, credentialEvents, credentials } from '../schema.ts'
import { LINK_SOURCES, type LinkSource } from '../urls.ts'

export type { CredentialEventKind }

export const CREDENTIAL_EVENT_KINDS: CredentialEventKind[] = [
  'delivered',
  'link_opened',
  'page_viewed',
  'pdf_downloaded',
  'json_downloaded',
  'linkedin_clicked',
  'verified',
]

export const EVENT_KIND_LABELS: Record<CredentialEventKind, string> = {
  delivered: 'Delivered',
  link_opened: 'Email link opened',
  page_viewed: 'Page viewed',
  pdf_downloaded: 'PDF downloaded',
  json_downloaded: 'JSON downloaded',
  linkedin_clicked: 'Added to LinkedIn',
  verified: 'Verified by a third party',
}

/**
 * How a third party verified a credential: its public page ("page"), `POST /api/v1/verify` ("api"),
 * the `/verify` page by ID, link or upload ("verify-page"), or the VC-API verify endpoints ("vc-api").
 * Downloading the JSON (`/credentials/:id.json`) is not a verification: wallets and holders fetch it too.
 */
export const VERIFICATION_CHANNELS = ['page', 'api', 'verify-page', 'vc-api'] as const
export type VerificationChannel = (typeof VERIFICATION_CHANNELS)[number]

export const VERIFICATION_CHANNEL_LABELS: Record<VerificationChannel, string> = {
  page: 'Public page',
  api: 'JSON API',
  'verify-page': 'Verify page',
  'vc-api': 'VC-API',
}

export interface CredentialEventInput {
  orgId: string
  credentialId: string
  kind: CredentialEventKind
  /** Verifications: a VerificationChannel. Delivery and email links: "email". Page views: the link's source or "direct". */
  channel: string
  /** For verifications: the verdict the verifier saw. */
  outcome?: string | null
}

type EventRow = CredentialEventInput & { id: string; occurredAt: Date }

const FLUSH_INTERVAL_MS = 200
const MAX_BUFFER = 500

/**
 * Buffers events and writes each batch in one INSERT, so recording costs a request nothing. A failed
 * write is logged and dropped: analytics never fail the request or job that records them.
 */
class EventRecorder {
  private buffer: EventRow[] = []
  private timer: NodeJS.Timeout | undefined
  private written: Promise<void> = Promise.resolve()
  private batchWritten: { promise: Promise<void>; resolve: () => void } | undefined
  private readonly pending = new Set<Promise<void>>()

  constructor(private readonly platform: Platform) {}

  add(event: CredentialEventInput): Promise<void> {
    this.buffer.push({ ...event, id: newId('cev'), occurredAt: this.platform.clock.now() })
    if (!this.batchWritten) {
      let resolve = () => {}
      const promise = new Promise<void>((done) => {
        resolve = done
      })
      this.batchWritten = { promise, resolve }
    }
    const { promise } = this.batchWritten
    if (this.buffer.length >= MAX_BUFFER) void this.flush()
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS)
    return promise
  }

  /** Work that decides what to record (it looks the viewer up); a flush waits for it. */
  track(work: Promise<void>): void {
    const guarded = work.catch((error) => this.platform.log.warn({ err: error }, 'a credential event could not be recorded'))
    this.pending.add(guarded)
    void guarded.finally(() => this.pending.delete(guarded))
  }

  async flush(): Promise<void> {
    await Promise.all(this.pending)
    clearTimeout(this.timer)
    this.timer = undefined
    const rows = this.buffer
    const batch = this.batchWritten
    this.buffer = []
    this.batchWritten = undefined
    this.written = this.written
      .then(() => (rows.length > 0 ? writeEvents(this.platform.db, rows, this.platform.clock.now()) : undefined))
      .catch((error) => this.platform.log.warn({ err: error, events: rows.length }, 'credential events were not recorded'))
      .finally(() => batch?.resolve())
    return this.written
  }
}

/**
 * Inserts events of credentials that exist in the named org, filling in each one's achievement.
 * Nothing is recorded about the credentials of a holder who restricted processing, or of a child.
 */
async function writeEvents(db: Db, events: EventRow[], now: Date): Promise<void> {
  const holders = await db
    .select({ id: credentials.id, email: credentials.recipientEmail })
    .from(credentials)
    .where(inArray(credentials.id, [...new Set(events.map((event) => event.credentialId))]))
  const children = await childEmailsAmong(
    db,
    holders.flatMap((holder) => (holder.email ? [holder.email] : [])),
    now,
  )
  const ofChildren = new Set(holders.filter((holder) => holder.email && children.has(holder.email.toLowerCase())).map((holder) => holder.id))
  const rows = events.filter((event) => !ofChildren.has(event.credentialId))
  if (rows.length === 0) return
  const values = rows.map(
    (row) =>
      sql`(${row.id}, ${row.orgId}, ${row.credentialId}, ${row.kind}, ${row.channel}, ${row.outcome ?? null}::text, ${row.occurredAt.toISOString()}::timestamptz)`,
  )
  await db.execute(sql`
    insert into credential_events (id, org_id, credential_id, achievement_id, kind, channel, outcome, occurred_at)
    select v.id, c.org_id, c.id, c.achievement_id, v.kind, v.channel, v.outcome, v.occurred_at
    from (values ${sql.join(values, sql`, `)}) as v(id, org_id, credential_id, kind, channel, outcome, occurred_at)
    join credentials c on c.id = v.credential_id and c.org_id = v.org_id
    where not exists (select 1 from processing_restrictions r where r.email = lower(c.recipient_email))`)
}

const recorders = new WeakMap<Platform, EventRecorder>()

function recorderOf(platform: Platform): EventRecorder {
  let recorder = recorders.get(platform)
  if (!recorder) {
    recorder = new EventRecorder(platform)
    recorders.set(platform, recorder)
  }
  return recorder
}

/**
 * Records one event of a credential. Cheap (buffered, written in batches) and never throws; the
 * promise resolves once the event's batch is written, for jobs that want it stored before they end.
 * Events of unknown credentials, or of a credential outside `orgId`, are dropped.
 */
export function recordCredentialEvent(platform: Platform, event: CredentialEventInput): Promise<void> {
  return recorderOf(platform).add(event)
}

/** Writes every buffered event now (tests, shutdown). */
export function flushCredentialEvents(platform: Platform): Promise<void> {
  return recorders.get(platform)?.flush() ?? Promise.resolve()
}

type Viewer = 'holder' | 'staff' | 'third_party'

/** Who is looking: the holder, staff of the issuing org (whose own views are not counted), or anyone else. */
async function viewerOf(platform: Platform, request: FastifyRequest, credential: { orgId: string; recipientEmail: string | null }): Promise<Viewer> {
  const { auth } = request
  if (!auth) return 'third_party'
  if (await isCredentialHolder(platform, auth, credential)) return 'holder'
  if (auth.apiKey) return auth.apiKey.orgId === credential.orgId ? 'staff' : 'third_party'
  const memberships = await listOrgsForAccount(platform, auth.accountId)
  return memberships.some((membership) => membership.id === credential.orgId && hasRole(membership.role, 'staff')) ? 'staff' : 'third_party'
}

// Link previews and crawlers fetch pages nobody reads; the user agent is looked at here and never stored.
const AUTOMATED_AGENT = /bot\b|crawler|spider|preview|facebookexternalhit|embedly|slurp|curl\/|wget\//i

function isCountable(request: FastifyRequest): boolean {
  return request.method === 'GET' && !AUTOMATED_AGENT.test(request.headers['user-agent'] ?? '')
}

export function linkSourceOf(request: FastifyRequest): LinkSource | undefined {
  const via = (request.query as { via?: unknown } | undefined)?.via
  return LINK_SOURCES.find((source) => source === via)
}

export interface ViewedCredential {
  id: string
  orgId: string
  recipientEmail: string | null
}

/**
 * A view of the public page: counted as a page view (from its link source), as an opened email link
 * when it came from the delivery email, and as a verification through the page when someone other
 * than the holder or the issuer's staff looks. The delivery email goes to the holder, so its link
 * does not count as a third party's verification.
 */
export function recordPageView(platform: Platform, request: FastifyRequest, credential: ViewedCredential, status: string): void {
  if (!isCountable(request)) return
  const source = linkSourceOf(request)
  const recorder = recorderOf(platform)
  recorder.track(
    (async () => {
      const viewer = await viewerOf(platform, request, credential)
      if (viewer === 'staff') return
      const event = { orgId: credential.orgId, credentialId: credential.id }
      void recorder.add({ ...event, kind: 'page_viewed', channel: source ?? 'direct' })
      if (source === 'email') void recorder.add({ ...event, kind: 'link_opened', channel: 'email' })
      else if (viewer === 'third_party') void recorder.add({ ...event, kind: 'verified', channel: 'page', outcome: status })
    })(),
  )
}

/** A download or a click on the credential's behalf (JSON, PDF, LinkedIn); the issuer's staff are not counted. */
export function recordCredentialAccess(
  platform: Platform,
  request: FastifyRequest,
  credential: ViewedCredential,
  kind: 'pdf_downloaded' | 'json_downloaded' | 'linkedin_clicked',
): void {
  if (!isCountable(request)) return
  const recorder = recorderOf(platform)
  recorder.track(
    (async () => {
      if ((await viewerOf(platform, request, credential)) === 'staff') return
      void recorder.add({ orgId: credential.orgId, credentialId: credential.id, kind, channel: kind === 'linkedin_clicked' ? 'linkedin' : 'web' })
    })(),
  )
}

/**
 * A verification through an API or the /verify page. Counted only for credentials issued here: by ID,
 * or a document whose `id` is our credential's URL and whose signature checks out (a forged or foreign
 * document is not ours). The holder's and the issuer's own checks are not counted.
 */
export function recordVerification(
  platform: Platform,
  request: FastifyRequest,
  channel: VerificationChannel,
  subject: { credential: ViewedCredential } | { document: unknown },
  report: VerificationReport,
): void {
  const recorder = recorderOf(platform)
  const record = async (credential: ViewedCredential | undefined) => {
    if (!credential || (await viewerOf(platform, request, credential)) !== 'third_party') return
    void recorder.add({ orgId: credential.orgId, credentialId: credential.id, kind: 'verified', channel, outcome: report.verdict })
  }
  if ('credential' in subject) {
    recorder.track(record(subject.credential))
    return
  }
  const isSigned = report.checks.some((check) => check.name === 'signature' && check.ok)
  const credentialId = isSigned ? ourCredentialIdOf(platform, subject.document) : undefined
  if (!credentialId) return
  recorder.track(
    (async () => {
      const [credential] = await platform.db
        .select({ id: credentials.id, orgId: credentials.orgId, recipientEmail: credentials.recipientEmail })
        .from(credentials)
        .where(eq(credentials.id, credentialId))
      await record(credential)
    })(),
  )
}

// Reading the events: dashboards, the verification log, CSV export.

export interface EventFilter {
  orgId: string
  achievementId?: string
  credentialId?: string
}

function whereOf(filter: EventFilter, since?: Date, kind?: CredentialEventKind): SQL | undefined {
  return and(
    eq(credentialEvents.orgId, filter.orgId),
    filter.achievementId ? eq(credentialEvents.achievementId, filter.achievementId) : undefined,
    filter.credentialId ? eq(credentialEvents.credentialId, filter.credentialId) : undefined,
    since ? gte(credentialEvents.occurredAt, since) : undefined,
    kind ? eq(credentialEvents.kind, kind) : undefined,
  )
}

/** The monthly counts retention folded old events into (credentials/retention.ts), for months from `since`'s. */
function foldedWhereOf(filter: EventFilter, since?: Date): SQL | undefined {
  return and(
    eq(credentialEventMonths.orgId, filter.orgId),
    filter.achievementId ? eq(credentialEventMonths.achievementId, filter.achievementId) : undefined,
    filter.credentialId ? eq(credentialEventMonths.credentialId, filter.credentialId) : undefined,
    since ? gte(credentialEventMonths.month, since.toISOString().slice(0, 7).concat('-01')) : undefined,
  )
}

/**
 * Events per kind, and verifications per channel, since `since` (all time when omitted), including
 * events retention folded into monthly counts (whole months from `since`'s month).
 */
export async function eventTotals(db: Db, filter: EventFilter, since?: Date) {
  const raw = db
    .select({ kind: credentialEvents.kind, channel: credentialEvents.channel, total: count() })
    .from(credentialEvents)
    .where(whereOf(filter, since))
    .groupBy(credentialEvents.kind, credentialEvents.channel)
  const folded = db
    .select({
      kind: credentialEventMonths.kind,
      channel: credentialEventMonths.channel,
      total: sql<number>`sum(${credentialEventMonths.total})`.mapWith(Number),
    })
    .from(credentialEventMonths)
    .where(foldedWhereOf(filter, since))
    .groupBy(credentialEventMonths.kind, credentialEventMonths.channel)
  const rows = [...(await raw), ...(await folded)]
  const byKind = Object.fromEntries(CREDENTIAL_EVENT_KINDS.map((kind) => [kind, 0])) as Record<CredentialEventKind, number>
  const verificationsByChannel = Object.fromEntries(VERIFICATION_CHANNELS.map((channel) => [channel, 0])) as Record<VerificationChannel, number>
  for (const row of rows) {
    byKind[row.kind] = (byKind[row.kind] ?? 0) + row.total
    if (row.kind === 'verified' && row.channel in verificationsByChannel) verificationsByChannel[row.channel as VerificationChannel] += row.total
  }
  return { byKind, verificationsByChannel }
}

/** Per achievement of the org: page views and verifications since `since` (folded months included), busiest first. */
export async function totalsByAchievement(db: Db, orgId: string, since: Date) {
  const events = db
    .select({ achievementId: credentialEvents.achievementId, kind: credentialEvents.kind, total: sql<number>`1`.as('total') })
    .from(credentialEvents)
    .where(whereOf({ orgId }, since))
  const folded = db
    .select({ achievementId: credentialEventMonths.achievementId, kind: credentialEventMonths.kind, total: credentialEventMonths.total })
    .from(credentialEventMonths)
    .where(foldedWhereOf({ orgId }, since))
  const all = unionAll(events, folded).as('all_events')
  const views = sql<number>`coalesce(sum(${all.total}) filter (where ${all.kind} = 'page_viewed'), 0)`.mapWith(Number)
  const verifications = sql<number>`coalesce(sum(${all.total}) filter (where ${all.kind} = 'verified'), 0)`.mapWith(Number)
  return db
    .select({ achievementId: achievements.id, name: achievements.name, views, verifications })
    .from(all)
    .innerJoin(achievements, eq(achievements.id, all.achievementId))
    .groupBy(achievements.id, achievements.name)
    .orderBy(desc(sql`sum(${all.total})`), achievements.name)
    .limit(100)
}

export interface DailySeries {
  /** Local dates, YYYY-MM-DD, oldest first. */
  days: string[]
  counts: Record<CredentialEventKind, number[]>
}

/** Events per kind per day over the last `days` days (today included), in the org's time zone. */
export async function dailySeries(db: Db, filter: EventFilter, options: { days: number; timeZone: string; now: Date }): Promise<DailySeries> {
  // Count back from today's local date on the calendar, not in 24-hour steps, which DST changes would skew.
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: options.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(options.now)
  const todayUtc = Date.parse(`${today}T00:00:00Z`)
  const days = Array.from({ length: options.days }, (_, index) => new Date(todayUtc - (options.days - 1 - index) * 86_400_000).toISOString().slice(0, 10))
  const since = new Date(options.now.getTime() - (options.days + 1) * 86_400_000)
  const day = sql<string>`to_char(${credentialEvents.occurredAt} at time zone ${options.timeZone}, 'YYYY-MM-DD')`
  const rows = await db
    .select({ day, kind: credentialEvents.kind, total: count() })
    .from(credentialEvents)
    .where(whereOf(filter, since))
    // By position: the time zone is a parameter, and a repeated parameter is not the same expression to PostgreSQL.
    .groupBy(sql`1`, sql`2`)
  const position = new Map(days.map((date, index) => [date, index]))
  const counts = Object.fromEntries(CREDENTIAL_EVENT_KINDS.map((kind) => [kind, days.map(() => 0)])) as Record<CredentialEventKind, number[]>
  for (const row of rows) {
    const index = position.get(row.day)
    const series = counts[row.kind]
    if (index !== undefined && series) series[index] = (series[index] ?? 0) + row.total
  }
  return { days, counts }
}

export const VERIFICATION_PAGE_SIZE = 25

/** Verifications, newest first, with the credential's recipient and achievement (for the issuer). */
export async function listVerifications(db: Db, filter: EventFilter, page: number) {
  const where = whereOf(filter, undefined, 'verified')
  const [totals] = await db.select({ total: count() }).from(credentialEvents).where(where)
  const items = await db
    .select({
      occurredAt: credentialEvents.occurredAt,
      channel: credentialEvents.channel,
      outcome: credentialEvents.outcome,
      credentialId: credentialEvents.credentialId,
      recipientName: credentials.recipientName,
      achievementName: achievements.name,
    })
    .from(credentialEvents)
    .leftJoin(credentials, eq(credentials.id, credentialEvents.credentialId))
    .leftJoin(achievements, eq(achievements.id, credentialEvents.achievementId))
    .where(where)
    .orderBy(desc(credentialEvents.occurredAt), desc(credentialEvents.id))
    .limit(VERIFICATION_PAGE_SIZE)
    .offset((Math.max(1, page) - 1) * VERIFICATION_PAGE_SIZE)
  const total = totals?.total ?? 0
  return { items, total, page, pageCount: Math.max(1, Math.ceil(total / VERIFICATION_PAGE_SIZE)) }
}

export type VerificationPage = Awaited<ReturnType<typeof listVerifications>>

// Privacy: events are about the person a credential was issued to.

export async function exportCredentialEvents(db: Db, credentialIds: string[]) {
  if (credentialIds.length === 0) return []
  return db
    .select({
      credentialId: credentialEvents.credentialId,
      kind: credentialEvents.kind,
      channel: credentialEvents.channel,
      outcome: credentialEvents.outcome,
      occurredAt: credentialEvents.occurredAt,
    })
    .from(credentialEvents)
    .where(inArray(credentialEvents.credentialId, credentialIds))
    .orderBy(credentialEvents.occurredAt)
}

export async function exportFoldedCredentialEvents(db: Db, credentialIds: string[]) {
  if (credentialIds.length === 0) return []
  const { credentialId, kind, channel, month, total } = credentialEventMonths
  return db
    .select({ credentialId, kind, channel, month, total })
    .from(credentialEventMonths)
    .where(inArray(credentialEventMonths.credentialId, credentialIds))
    .orderBy(credentialEventMonths.month)
}

export async function eraseCredentialEvents(db: Db, credentialIds: string[]): Promise<void> {
  if (credentialIds.length === 0) return
  await db.delete(credentialEvents).where(inArray(credentialEvents.credentialId, credentialIds))
  await db.delete(credentialEventMonths).where(inArray(credentialEventMonths.credentialId, credentialIds))
}
