import { and, asc, count, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { orderByOf, resolveSort, type Sort, type SortableColumns, type SortQuery } from '../../../platform/db/sort.ts'
import { ConflictError, InvalidError, NotFoundError } from '../../../platform/errors.ts'
import type { Platform } from '../../../platform/platform.ts'
import { type OrgScope, type Page, requireRole } from '../../orgs/service.ts'
import { emailCandidates } from '../registrations/candidate-mail.ts'
import { fillFreeSeats } from '../registrations/waitlist.ts'
import { type ExamSessionStatus, examRegistrations, examSessions, exams, proctors, testCentres } from '../schema.ts'
import { checkPlanned, loadBookings, loadCatalog, lockScheduling, type PlannedSession } from './scheduling.ts'
import { type ExamSessionView, selectViews } from './views.ts'

export { type ExamSessionView, getExamSessionViews } from './views.ts'

export type ExamSession = typeof examSessions.$inferSelect

/** Where and when an exam session takes place; the centre is the room's. */
export type ExamSessionInput = Omit<PlannedSession, 'line'>

/** Checks `planned` against the rules and the bookings inside `tx`; throws what to fix. */
async function requireSchedulable(platform: Platform, tx: Db, scope: OrgScope, planned: PlannedSession, exceptSessionId?: string) {
  await lockScheduling(tx, scope)
  const catalog = await loadCatalog(tx, scope)
  const bookings = await loadBookings(tx, scope, [planned], exceptSessionId)
  const problem = checkPlanned(planned, { catalog, bookings, now: platform.clock.now() })
  if (problem) throw new InvalidError('exam_session_invalid', `This exam session cannot be scheduled: ${problem.reason}.`, { [problem.field]: problem.reason })
  return catalog
}

export async function createExamSession(platform: Platform, scope: OrgScope, input: ExamSessionInput): Promise<ExamSession> {
  requireRole(scope, 'staff')
  return platform.db.transaction(async (tx) => {
    const catalog = await requireSchedulable(platform, tx, scope, input)
    const centreId = catalog.rooms.get(input.roomId)?.centreId ?? ''
    const [session] = await tx
      .insert(examSessions)
      .values({ ...input, orgId: scope.orgId, centreId, createdByAccountId: scope.accountId })
      .returning()
    if (!session) throw new Error('The exam session was not stored.')
    await platform.audit.recordIn(tx, { action: 'exams.session_created', orgId: scope.orgId, actorAccountId: scope.accountId, target: session.id })
    return session
  })
}

/** Moves an exam session (time, room, proctor, seats) under the same rules as a new one; it needs confirming again. */
export async function rescheduleExamSession(
  platform: Platform,
  scope: OrgScope,
  sessionId: string,
  input: Omit<ExamSessionInput, 'examId'>,
): Promise<ExamSession> {
  requireRole(scope, 'staff')
  return platform.db.transaction(async (tx) => {
    const before = await getExamSession(tx, scope, sessionId)
    if (before.status === 'cancelled' || before.status === 'completed') {
      throw new ConflictError('exam_session_closed', `This exam session is ${before.status}; it cannot be rescheduled.`)
    }
    const catalog = await requireSchedulable(platform, tx, scope, { ...input, examId: before.examId }, sessionId)
    const [session] = await tx
      .update(examSessions)
      .set({ ...input, centreId: catalog.rooms.get(input.roomId)?.centreId ?? before.centreId, status: 'scheduled' })
      .where(and(eq(examSessions.orgId, scope.orgId), eq(examSessions.id, sessionId)))
      .returning()
    if (!session) throw new NotFoundError('exam_session', sessionId)
    await fillFreeSeats(platform, tx, scope, session)
    const isMoved =
      before.roomId !== session.roomId || before.startsAt.getTime() !== session.startsAt.getTime() || before.endsAt.getTime() !== session.endsAt.getTime()
    if (isMoved) {
      const candidates = await tx
        .select()
        .from(examRegistrations)
        .where(eq(examRegistrations.examSessionId, sessionId))
        .orderBy(asc(examRegistrations.position))
      const beforeRoom = catalog.rooms.get(before.roomId)?.name ?? null
      await emailCandidates(
        platform,
        tx,
        candidates.map((registration) => ({
          registration,
          event: { kind: 'moved', before: { roomName: beforeRoom, startsAt: before.startsAt, endsAt: before.endsAt } },
        })),
      )
    }
    await platform.audit.recordIn(tx, {
      action: 'exams.session_rescheduled',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: sessionId,
      data: {
        from: { roomId: before.roomId, startsAt: before.startsAt.toISOString(), endsAt: before.endsAt.toISOString(), seats: before.seats },
        to: { roomId: input.roomId, startsAt: input.startsAt.toISOString(), endsAt: input.endsAt.toISOString(), seats: input.seats },
      },
    })
    return session
  })
}

/** Changes the status of several exam sessions at once: all or none, naming those that cannot change. */
async function changeStatus(
  platform: Platform,
  scope: OrgScope,
  sessionIds: string[],
  change: { from: ExamSessionStatus[]; to: ExamSessionStatus; action: string; reason?: string },
  alsoInTransaction?: (tx: Db, changed: ExamSession[]) => Promise<void>,
): Promise<ExamSession[]> {
  requireRole(scope, 'staff')
  const ids = [...new Set(sessionIds)]
  if (ids.length === 0) throw new InvalidError('no_exam_sessions', 'Choose at least one exam session.')
  return platform.db.transaction(async (tx) => {
    const found = await tx
      .select({ id: examSessions.id, status: examSessions.status })
      .from(examSessions)
      .where(and(eq(examSessions.orgId, scope.orgId), inArray(examSessions.id, ids)))
      .for('update')
    if (found.length !== ids.length)
      throw new NotFoundError(
        'exam_session',
        ids.find((id) => !found.some((row) => row.id === id)),
      )
    const stuck = found.filter((row) => !change.from.includes(row.status))
    if (stuck.length > 0) {
      throw new ConflictError(
        'exam_session_status',
        `Cannot mark as ${change.to}: ${stuck.map((row) => `${row.id} is ${row.status}`).join('; ')}. Nothing was changed.`,
      )
    }
    const changed = await tx
      .update(examSessions)
      .set({ status: change.to, ...(change.reason ? { cancellationReason: change.reason } : {}) })
      .where(and(eq(examSessions.orgId, scope.orgId), inArray(examSessions.id, ids)))
      .returning()
    for (const session of changed) {
      await platform.audit.recordIn(tx, {
        action: change.action,
        orgId: scope.orgId,
        actorAccountId: scope.accountId,
        target: session.id,
        data: change.reason ? { reason: change.reason } : undefined,
      })
    }
    await alsoInTransaction?.(tx, changed)
    return changed
  })
}

export function confirmExamSessions(platform: Platform, scope: OrgScope, sessionIds: string[]): Promise<ExamSession[]> {
  return changeStatus(platform, scope, sessionIds, { from: ['scheduled'], to: 'confirmed', action: 'exams.session_confirmed' })
}

export async function cancelExamSessions(platform: Platform, scope: OrgScope, sessionIds: string[], reason: string): Promise<ExamSession[]> {
  const trimmed = reason.trim()
  if (trimmed.length < 3) throw new InvalidError('reason_required', 'Give a reason for cancelling.', { reason: 'Give a reason (3 to 500 characters).' })
  return changeStatus(
    platform,
    scope,
    sessionIds,
    { from: ['scheduled', 'confirmed'], to: 'cancelled', action: 'exams.session_cancelled', reason: trimmed },
    (tx, changed) => emailCancellation(platform, tx, changed, trimmed),
  )
}

/** Tells every candidate of the cancelled exam sessions, seated or waitlisted, why; queued with the cancellation. */
async function emailCancellation(platform: Platform, tx: Db, cancelled: ExamSession[], reason: string) {
  if (cancelled.length === 0) return
  const candidates = await tx
    .select({
      orgId: examRegistrations.orgId,
      examSessionId: examRegistrations.examSessionId,
      name: examRegistrations.name,
      email: examRegistrations.email,
    })
    .from(examRegistrations)
    .where(
      inArray(
        examRegistrations.examSessionId,
        cancelled.map((session) => session.id),
      ),
    )
    .orderBy(asc(examRegistrations.examSessionId), asc(examRegistrations.position))
  await emailCandidates(
    platform,
    tx,
    candidates.map((registration) => ({ registration, event: { kind: 'cancelled', reason } })),
  )
}

/** Marks held exam sessions completed: they take no more registrations, results can still be entered. */
export function completeExamSessions(platform: Platform, scope: OrgScope, sessionIds: string[]): Promise<ExamSession[]> {
  return changeStatus(platform, scope, sessionIds, { from: ['confirmed'], to: 'completed', action: 'exams.session_completed' })
}

export async function getExamSession(db: Db, scope: { orgId: string }, sessionId: string): Promise<ExamSession> {
  const [session] = await db
    .select()
    .from(examSessions)
    .where(and(eq(examSessions.orgId, scope.orgId), eq(examSessions.id, sessionId)))
  if (!session) throw new NotFoundError('exam_session', sessionId)
  return session
}

export type ExamSessionSortKey = 'starts' | 'exam' | 'centre' | 'proctor' | 'seats' | 'status'
export const EXAM_SESSION_SORT: SortableColumns<ExamSessionSortKey> = {
  columns: {
    starts: examSessions.startsAt,
    exam: exams.code,
    centre: testCentres.code,
    proctor: sql`lower(${proctors.name})`,
    seats: examSessions.seats,
    status: examSessions.status,
  },
  defaultSort: { key: 'starts', direction: 'asc' },
  thenBy: examSessions.startsAt,
  tieBreaker: examSessions.id,
}

export interface ExamSessionFilters {
  /** Starting at or after. */
  from?: Date
  /** Starting before. */
  to?: Date
  status?: ExamSessionStatus
  examId?: string
  centreId?: string
  proctorId?: string
}

function filterWhere(scope: { orgId: string }, filters: ExamSessionFilters): SQL | undefined {
  return and(
    eq(examSessions.orgId, scope.orgId),
    filters.from ? gte(examSessions.startsAt, filters.from) : undefined,
    filters.to ? lt(examSessions.startsAt, filters.to) : undefined,
    filters.status ? eq(examSessions.status, filters.status) : undefined,
    filters.examId ? eq(examSessions.examId, filters.examId) : undefined,
    filters.centreId ? eq(examSessions.centreId, filters.centreId) : undefined,
    filters.proctorId ? eq(examSessions.proctorId, filters.proctorId) : undefined,
  )
}

/** One exam session with the names of its exam, centre, room and proctor. */
export async function getExamSessionView(db: Db, scope: { orgId: string }, sessionId: string): Promise<ExamSessionView> {
  const [session] = await selectViews(db).where(and(eq(examSessions.orgId, scope.orgId), eq(examSessions.id, sessionId)))
  if (!session) throw new NotFoundError('exam_session', sessionId)
  return session as ExamSessionView
}

export const EXAM_SESSION_PAGE_SIZE = 25

export async function listExamSessions(
  db: Db,
  scope: { orgId: string },
  options: ExamSessionFilters & SortQuery & { page?: number } = {},
): Promise<Page<ExamSessionView> & { sort: Sort<ExamSessionSortKey> }> {
  const page = Math.max(1, options.page ?? 1)
  const sort = resolveSort(EXAM_SESSION_SORT, options)
  const where = filterWhere(scope, options)
  const [totals] = await db.select({ total: count() }).from(examSessions).where(where)
  const items = await selectViews(db)
    .where(where)
    .orderBy(...orderByOf(EXAM_SESSION_SORT, sort))
    .limit(EXAM_SESSION_PAGE_SIZE)
    .offset((page - 1) * EXAM_SESSION_PAGE_SIZE)
  const total = totals?.total ?? 0
  return { items: items as ExamSessionView[], total, page, pageCount: Math.max(1, Math.ceil(total / EXAM_SESSION_PAGE_SIZE)), sort }
}

export const CALENDAR_LIMIT = 2000

/** Exam sessions starting in [from, to), in start order, for a calendar (at most CALENDAR_LIMIT). */
export async function listExamSessionsBetween(db: Db, scope: { orgId: string }, filters: ExamSessionFilters & { from: Date; to: Date }) {
  const items = await selectViews(db).where(filterWhere(scope, filters)).orderBy(asc(examSessions.startsAt), asc(examSessions.id)).limit(CALENDAR_LIMIT)
  return items as ExamSessionView[]
}

/** The org's exam sessions linked to any of these portal sessions. */
export async function listExamSessionsAtPortal(db: Db, scope: { orgId: string }, portalSessionIds: string[]): Promise<ExamSessionView[]> {
  if (portalSessionIds.length === 0) return []
  const items = await selectViews(db).where(and(eq(examSessions.orgId, scope.orgId), inArray(examSessions.portalSessionId, [...new Set(portalSessionIds)])))
  return items as ExamSessionView[]
}

/** The org's next exam sessions still to take place (scheduled or confirmed), soonest first, with their seated candidates. */
export async function listUpcomingExamSessions(db: Db, scope: { orgId: string }, options: { now: Date; limit: number }) {
  const seated = db
    .select({ examSessionId: examRegistrations.examSessionId, total: count().as('seated') })
    .from(examRegistrations)
    .where(and(eq(examRegistrations.orgId, scope.orgId), eq(examRegistrations.status, 'seated')))
    .groupBy(examRegistrations.examSessionId)
    .as('seated')
  const rows = await db
    .select({
      id: examSessions.id,
      startsAt: examSessions.startsAt,
      seats: examSessions.seats,
      examTitle: exams.title,
      timeZone: testCentres.timeZone,
      seated: seated.total,
    })
    .from(examSessions)
    .innerJoin(exams, eq(exams.id, examSessions.examId))
    .innerJoin(testCentres, eq(testCentres.id, examSessions.centreId))
    .leftJoin(seated, eq(seated.examSessionId, examSessions.id))
    .where(and(eq(examSessions.orgId, scope.orgId), gte(examSessions.startsAt, options.now), inArray(examSessions.status, ['scheduled', 'confirmed'])))
    .orderBy(asc(examSessions.startsAt), asc(examSessions.id))
    .limit(options.limit)
  return rows.map((row) => ({ ...row, seated: row.seated ?? 0 }))
}
