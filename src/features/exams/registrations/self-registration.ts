import { and, asc, count, desc, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { ConflictError, InvalidError, NotFoundError } from '../../../platform/errors.ts'
import type { Platform } from '../../../platform/platform.ts'
import { utcToZoned } from '../../../platform/time-zones.ts'
import { normalizeEmail, verifiedEmailsOf } from '../../identity/service.ts'
import { getOrg, type OrgScope, requireRole } from '../../orgs/service.ts'
import { type ExamSessionStatus, examRegistrations, examSessions, exams, rooms, testCentres } from '../schema.ts'
import { type ExamSessionView, selectViews } from '../sessions/views.ts'
import { addCandidates, dropRegistration, lockSession, OPEN, type Registration, requireOpen } from './registrations.ts'

/** The signed-in person acting for themselves: any account, member of the org or not. */
export interface SelfActor {
  accountId: string
  name: string
}

/** Staff open or close self-registration on an exam session, optionally until `closesAt` (before the start). */
export async function setSelfRegistration(
  platform: Platform,
  scope: OrgScope,
  sessionId: string,
  input: { open: boolean; closesAt: Date | null },
): Promise<void> {
  requireRole(scope, 'staff')
  await platform.db.transaction(async (tx) => {
    const session = await lockSession(tx, scope, sessionId)
    if (input.open) requireOpen(session)
    if (input.closesAt && input.closesAt.getTime() >= session.startsAt.getTime()) {
      throw new InvalidError('closes_after_start', 'Self-registration must close before the exam session starts (it closes at the start anyway).', {
        closesAt: 'Choose a time before the start, or leave it empty.',
      })
    }
    await tx
      .update(examSessions)
      .set({ selfRegistrationOpen: input.open, selfRegistrationClosesAt: input.open ? input.closesAt : null })
      .where(and(eq(examSessions.orgId, scope.orgId), eq(examSessions.id, sessionId)))
    await platform.audit.recordIn(tx, {
      action: 'exams.self_registration_changed',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: sessionId,
      data: { open: input.open, closesAt: input.open ? (input.closesAt?.toISOString() ?? null) : null },
    })
  })
}

type SelfRegistrationState = {
  status: ExamSessionStatus
  selfRegistrationOpen: boolean
  selfRegistrationClosesAt: Date | null
  startsAt: Date
}

/** Why a candidate cannot register themselves now, or undefined when they can. */
export function selfRegistrationRefusal(session: SelfRegistrationState & { timeZone?: string }, now: Date): string | undefined {
  if (!OPEN.includes(session.status)) return `This exam session is ${session.status}; it takes no registrations.`
  if (session.startsAt.getTime() <= now.getTime()) return 'This exam session has started; it takes no more registrations.'
  if (!session.selfRegistrationOpen) return 'This exam session is not open for registration by candidates; ask the organisation to register you.'
  if (session.selfRegistrationClosesAt && session.selfRegistrationClosesAt.getTime() <= now.getTime()) {
    const when = session.timeZone
      ? `${utcToZoned(session.selfRegistrationClosesAt, session.timeZone).replace('T', ' ')} (${session.timeZone})`
      : session.selfRegistrationClosesAt.toISOString()
    return `Registration for this exam session closed at ${when}.`
  }
  return undefined
}

const isSelfRegistrable = (now: Date) =>
  and(
    eq(examSessions.selfRegistrationOpen, true),
    inArray(examSessions.status, OPEN),
    gt(examSessions.startsAt, now),
    or(isNull(examSessions.selfRegistrationClosesAt), gt(examSessions.selfRegistrationClosesAt, now)),
  )

export type OpenExamSession = Pick<
  ExamSessionView,
  'id' | 'examCode' | 'examTitle' | 'centreName' | 'roomName' | 'timeZone' | 'startsAt' | 'endsAt' | 'selfRegistrationClosesAt' | 'seats'
> & { seated: number; waitlisted: number }

/** An org's exam sessions that candidates may register for themselves now, soonest first, with their seats taken. */
export async function listOpenExamSessions(platform: Platform, orgId: string, accountId: string): Promise<{ orgName: string; sessions: OpenExamSession[] }> {
  // Read with a member-level scope: the org's name is all this reads, and a missing org is "not found".
  const org = await getOrg(platform.db, { orgId, accountId, role: 'member' })
  const rows = await selectViews(platform.db)
    .where(and(eq(examSessions.orgId, orgId), isSelfRegistrable(platform.clock.now())))
    .orderBy(asc(examSessions.startsAt), asc(examSessions.id))
    .limit(500)
  const counts =
    rows.length > 0
      ? await platform.db
          .select({ sessionId: examRegistrations.examSessionId, status: examRegistrations.status, total: count() })
          .from(examRegistrations)
          .where(
            inArray(
              examRegistrations.examSessionId,
              rows.map((row) => row.id),
            ),
          )
          .groupBy(examRegistrations.examSessionId, examRegistrations.status)
      : []
  const countOf = (sessionId: string, status: string) => counts.find((row) => row.sessionId === sessionId && row.status === status)?.total ?? 0
  return {
    orgName: org.name,
    sessions: rows.map((row) => ({ ...row, seated: countOf(row.id, 'seated'), waitlisted: countOf(row.id, 'waitlisted') })),
  }
}

/**
 * Registers the signed-in person for an exam session of `orgId` under their account's name and one
 * of their confirmed addresses: seated while seats are free, then waitlisted. The exam session's row
 * is locked while seats are counted, as for staff registrations, so seats are never exceeded.
 */
export async function selfRegister(platform: Platform, actor: SelfActor, orgId: string, sessionId: string, email: string): Promise<Registration> {
  const address = normalizeEmail(email)
  if (!(await verifiedEmailsOf(platform, actor.accountId)).includes(address)) {
    throw new InvalidError('email_not_confirmed', 'Register with one of the confirmed addresses of your account.', { email: 'Choose a confirmed address.' })
  }
  return platform.db.transaction(async (tx) => {
    const session = await lockSession(tx, { orgId }, sessionId)
    const [centre] = await tx.select({ timeZone: testCentres.timeZone }).from(testCentres).where(eq(testCentres.id, session.centreId))
    const refusal = selfRegistrationRefusal({ ...session, timeZone: centre?.timeZone }, platform.clock.now())
    if (refusal) throw new ConflictError('self_registration_closed', refusal)
    const [row] = await addCandidates(platform, tx, { orgId, accountId: actor.accountId }, session, [{ name: actor.name, email: address }], {
      action: 'exams.candidate_self_registered',
    })
    if (!row) throw new ConflictError('duplicate', `${address} is already registered for this exam session.`)
    return row
  })
}

export interface MyRegistration {
  id: string
  orgId: string
  orgName: string
  examSessionId: string
  examCode: string
  examTitle: string
  centreName: string
  roomName: string
  timeZone: string
  startsAt: Date
  endsAt: Date
  sessionStatus: ExamSessionStatus
  name: string
  email: string
  status: Registration['status']
  /** 1 for the first on the waitlist; null when seated. */
  waitlistPosition: number | null
  checkedInAt: Date | null
  passed: boolean | null
  /** Why the person cannot withdraw now, or null when they can. */
  withdrawRefusal: string | null
}

const waitlistAhead = sql<number>`(
  select count(*)::int from exam_registrations ahead
  where ahead.exam_session_id = ${examRegistrations.examSessionId} and ahead.status = 'waitlisted' and ahead.position <= ${examRegistrations.position}
)`

/** Registrations under any confirmed address of the account, across orgs, the latest exam session first. */
export async function listMyRegistrations(platform: Platform, accountId: string): Promise<MyRegistration[]> {
  const emails = await verifiedEmailsOf(platform, accountId)
  if (emails.length === 0) return []
  const rows = await platform.db
    .select({
      id: examRegistrations.id,
      orgId: examRegistrations.orgId,
      examSessionId: examRegistrations.examSessionId,
      examCode: exams.code,
      examTitle: exams.title,
      centreName: testCentres.name,
      roomName: rooms.name,
      timeZone: testCentres.timeZone,
      startsAt: examSessions.startsAt,
      endsAt: examSessions.endsAt,
      sessionStatus: examSessions.status,
      name: examRegistrations.name,
      email: examRegistrations.email,
      status: examRegistrations.status,
      ahead: waitlistAhead,
      checkedInAt: examRegistrations.checkedInAt,
      passed: examRegistrations.passed,
      resultRecordedAt: examRegistrations.resultRecordedAt,
    })
    .from(examRegistrations)
    .innerJoin(examSessions, eq(examSessions.id, examRegistrations.examSessionId))
    .innerJoin(exams, eq(exams.id, examSessions.examId))
    .innerJoin(testCentres, eq(testCentres.id, examSessions.centreId))
    .innerJoin(rooms, eq(rooms.id, examSessions.roomId))
    .where(inArray(examRegistrations.email, emails))
    .orderBy(desc(examSessions.startsAt), asc(examRegistrations.id))
    .limit(500)
  const orgNames = new Map<string, string>()
  for (const orgId of new Set(rows.map((row) => row.orgId))) orgNames.set(orgId, (await getOrg(platform.db, { orgId, accountId, role: 'member' })).name)
  const now = platform.clock.now()
  return rows.map(({ ahead, resultRecordedAt, ...row }) => ({
    ...row,
    orgName: orgNames.get(row.orgId) ?? '',
    waitlistPosition: row.status === 'waitlisted' ? Number(ahead) : null,
    withdrawRefusal: withdrawRefusal({ status: row.sessionStatus, startsAt: row.startsAt }, { resultRecordedAt }, now) ?? null,
  }))
}

function withdrawRefusal(session: { status: ExamSessionStatus; startsAt: Date }, registration: { resultRecordedAt: Date | null }, now: Date) {
  if (registration.resultRecordedAt) return 'Your result is recorded; the registration stays.'
  if (!OPEN.includes(session.status)) return `This exam session is ${session.status}.`
  if (session.startsAt.getTime() <= now.getTime()) return 'This exam session has started.'
  return undefined
}

/** Finds a registration under one of the account's confirmed addresses; anybody else's is "not found". */
async function findOwnRegistration(db: Db, emails: string[], registrationId: string): Promise<Registration> {
  const [row] =
    emails.length > 0
      ? await db
          .select()
          .from(examRegistrations)
          .where(and(eq(examRegistrations.id, registrationId), inArray(examRegistrations.email, emails)))
      : []
  if (!row) throw new NotFoundError('exam_registration', registrationId)
  return row
}

/**
 * The person withdraws their own registration (before the exam session starts, and without a
 * result); a seat it frees goes to the first candidate on the waitlist, as when staff remove one.
 */
export async function withdrawRegistration(
  platform: Platform,
  accountId: string,
  registrationId: string,
): Promise<{ withdrawn: Registration; promoted?: Registration }> {
  const emails = await verifiedEmailsOf(platform, accountId)
  return platform.db.transaction(async (tx) => {
    const found = await findOwnRegistration(tx, emails, registrationId)
    const session = await lockSession(tx, { orgId: found.orgId }, found.examSessionId)
    // Read again under the lock: staff may have removed or seated it meanwhile.
    const registration = await findOwnRegistration(tx, emails, registrationId)
    const refusal = withdrawRefusal(session, registration, platform.clock.now())
    if (refusal) throw new ConflictError('cannot_withdraw', `You cannot withdraw: ${refusal}`)
    const { promoted } = await dropRegistration(platform, tx, { orgId: registration.orgId, accountId }, session, registration, {
      action: 'exams.candidate_withdrew',
      event: 'withdrawn',
    })
    return { withdrawn: registration, promoted }
  })
}
