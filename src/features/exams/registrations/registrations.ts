import { and, count, eq, inArray, max, sql } from 'drizzle-orm'
import { type CsvFormat, parseCsvUpload, problemOf, quoted, type RowProblem } from '../../../platform/csv.ts'
import type { Db } from '../../../platform/db/client.ts'
import { orderByOf, resolveSort, type SortableColumns, type SortQuery } from '../../../platform/db/sort.ts'
import { ConflictError, InvalidError, NotFoundError } from '../../../platform/errors.ts'
import type { Platform } from '../../../platform/platform.ts'
import { utcToZoned } from '../../../platform/time-zones.ts'
import { type CredentialRow, issueCredentials } from '../../credentials/service.ts'
import { normalizeEmail } from '../../identity/service.ts'
import { type OrgScope, requireRole } from '../../orgs/service.ts'
import { type Exam, getExam } from '../catalog/catalog.ts'
import { type ExamSessionStatus, examRegistrationImports, examRegistrations, examSessions, type RegistrationImportRow } from '../schema.ts'
import { getExamSession, getExamSessionView } from '../sessions/sessions.ts'
import { type CandidateNotice, emailCandidates } from './candidate-mail.ts'
import { fillFreeSeats } from './waitlist.ts'

export type Registration = typeof examRegistrations.$inferSelect
export interface Candidate {
  name: string
  email: string
}
/** Who changes registrations: staff of the org, or a candidate acting on their own registration. */
export type RegistrationActor = Pick<OrgScope, 'orgId' | 'accountId'>

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
export const OPEN: ExamSessionStatus[] = ['scheduled', 'confirmed']
export const MAX_REGISTRATION_ROWS = 10_000
/** The columns of a registrations file. */
export const REGISTRATIONS_CSV: CsvFormat = {
  columns: [
    { name: 'session', note: 'the exam session ID', examples: ['exs_01jexamplesession000000001', 'exs_01jexamplesession000000001'] },
    { name: 'name', examples: ['Ada Lovelace', 'Alan Turing'] },
    { name: 'email', examples: ['ada@example.org', 'alan@example.org'] },
  ],
  maxRows: MAX_REGISTRATION_ROWS,
}
/** The columns of an exam session's results file. */
export const RESULTS_CSV: CsvFormat = {
  columns: [
    { name: 'email', examples: ['ada@example.org', 'alan@example.org'] },
    { name: 'score', note: 'a whole number', examples: ['82', '47'] },
  ],
  maxRows: MAX_REGISTRATION_ROWS,
}

/** Locks the exam session row so registrations to it are counted and placed one at a time. */
export async function lockSession(tx: Db, scope: { orgId: string }, sessionId: string) {
  const [session] = await tx
    .select()
    .from(examSessions)
    .where(and(eq(examSessions.orgId, scope.orgId), eq(examSessions.id, sessionId)))
    .for('update')
  if (!session) throw new NotFoundError('exam_session', sessionId)
  return session
}

/**
 * Seats the candidates while seats are free, then waitlists them, in the order given; a candidate
 * already registered is skipped. Call with the session locked. Each registration is audited as
 * `action`, and each candidate is emailed (seated, or their number on the waitlist) in the same
 * transaction; with `collect`, the messages are added to it for the caller to send in one go instead.
 */
export async function addCandidates(
  platform: Platform,
  tx: Db,
  scope: RegistrationActor,
  session: { id: string; seats: number },
  candidates: Candidate[],
  options: { action?: string; collect?: CandidateNotice[] } = {},
) {
  const [totals] = await tx
    .select({ last: max(examRegistrations.position) })
    .from(examRegistrations)
    .where(eq(examRegistrations.examSessionId, session.id))
  const counts = await tx
    .select({ status: examRegistrations.status, total: count() })
    .from(examRegistrations)
    .where(eq(examRegistrations.examSessionId, session.id))
    .groupBy(examRegistrations.status)
  const seated = counts.find((row) => row.status === 'seated')?.total ?? 0
  const waitlisted = counts.find((row) => row.status === 'waitlisted')?.total ?? 0
  const last = totals?.last ?? 0
  const rows = await tx
    .insert(examRegistrations)
    .values(
      candidates.map((candidate, i) => ({
        orgId: scope.orgId,
        examSessionId: session.id,
        name: candidate.name.trim(),
        email: normalizeEmail(candidate.email),
        status: seated + i < session.seats ? ('seated' as const) : ('waitlisted' as const),
        position: last + i + 1,
        createdByAccountId: scope.accountId,
      })),
    )
    .onConflictDoNothing()
    .returning()
  rows.sort((a, b) => a.position - b.position)
  const notices: CandidateNotice[] = []
  let onWaitlist = waitlisted
  for (const row of rows) {
    await platform.audit.recordIn(tx, {
      action: options.action ?? 'exams.candidate_registered',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: row.id,
      data: { examSessionId: session.id, status: row.status },
    })
    // Every new row comes after the whole waitlist so far, so its number is those before it plus one.
    notices.push({ registration: row, event: row.status === 'seated' ? { kind: 'registered' } : { kind: 'waitlisted', position: ++onWaitlist } })
  }
  if (options.collect) options.collect.push(...notices)
  else await emailCandidates(platform, tx, notices)
  return rows
}

export function requireOpen(session: { id: string; status: ExamSessionStatus }) {
  if (!OPEN.includes(session.status)) throw new ConflictError('exam_session_closed', `This exam session is ${session.status}; it takes no registrations.`)
}

/** Registers one candidate: seated if a seat is free, otherwise on the waitlist. */
export async function registerCandidate(platform: Platform, scope: OrgScope, sessionId: string, candidate: Candidate): Promise<Registration> {
  requireRole(scope, 'staff')
  const email = normalizeEmail(candidate.email)
  if (!EMAIL.test(email))
    throw new InvalidError('bad_email', 'Enter an email address like name@example.org.', { email: 'Enter an email address like name@example.org.' })
  if (!candidate.name.trim()) throw new InvalidError('name_required', "Enter the candidate's name.", { name: "Enter the candidate's name." })
  return platform.db.transaction(async (tx) => {
    const session = await lockSession(tx, scope, sessionId)
    requireOpen(session)
    const [row] = await addCandidates(platform, tx, scope, session, [{ name: candidate.name, email }])
    if (!row)
      throw new InvalidError('duplicate', `${email} is already registered for this exam session.`, { email: 'Already registered for this exam session.' })
    return row
  })
}

async function getRegistration(db: Db, scope: OrgScope, sessionId: string, registrationId: string): Promise<Registration> {
  const [row] = await db
    .select()
    .from(examRegistrations)
    .where(and(eq(examRegistrations.orgId, scope.orgId), eq(examRegistrations.examSessionId, sessionId), eq(examRegistrations.id, registrationId)))
  if (!row) throw new NotFoundError('exam_registration', registrationId)
  return row
}

/** Removes a registration; a freed seat goes to the first candidate on the waitlist. */
export async function removeRegistration(platform: Platform, scope: OrgScope, sessionId: string, registrationId: string): Promise<{ promoted?: Registration }> {
  requireRole(scope, 'staff')
  return platform.db.transaction(async (tx) => {
    const session = await lockSession(tx, scope, sessionId)
    requireOpen(session)
    const registration = await getRegistration(tx, scope, sessionId, registrationId)
    return dropRegistration(platform, tx, scope, session, registration, { action: 'exams.candidate_removed', event: 'removed' })
  })
}

/**
 * Deletes a registration without a result, emails its candidate (`event`) and gives a freed seat to
 * the first candidate on the waitlist. Call with the exam session locked (staff removal and a
 * candidate's withdrawal both do).
 */
export async function dropRegistration(
  platform: Platform,
  tx: Db,
  actor: RegistrationActor,
  session: { id: string; seats: number },
  registration: Registration,
  { action, event }: { action: string; event: 'removed' | 'withdrawn' },
): Promise<{ promoted?: Registration }> {
  if (registration.resultRecordedAt) throw new ConflictError('has_result', 'This candidate has a result; it cannot be removed.')
  await tx.delete(examRegistrations).where(eq(examRegistrations.id, registration.id))
  await platform.audit.recordIn(tx, {
    action,
    orgId: actor.orgId,
    actorAccountId: actor.accountId,
    target: registration.id,
    data: { examSessionId: session.id, status: registration.status },
  })
  await emailCandidates(platform, tx, [{ registration, event: { kind: event } }])
  const [promoted] = await fillFreeSeats(platform, tx, actor, session)
  return { promoted }
}

const OPENINGS = {
  checkIn: { what: 'Check-in', minutesOf: (exam: Exam) => exam.checkInOpensMinutesBefore },
  results: { what: 'Recording results', minutesOf: (exam: Exam) => exam.resultsOpenMinutesBefore },
}

/** When check-in or results open for an exam session: its start less the exam's grace for that. */
export function opensAt(opening: keyof typeof OPENINGS, session: { startsAt: Date }, exam: Exam): Date {
  return new Date(session.startsAt.getTime() - OPENINGS[opening].minutesOf(exam) * 60_000)
}

/** Refuses, saying when it opens (in the centre's time zone), what an exam session does not allow yet. */
async function requireStarted(platform: Platform, db: Db, scope: { orgId: string }, opening: keyof typeof OPENINGS, sessionId: string): Promise<void> {
  const session = await getExamSessionView(db, scope, sessionId)
  const exam = await getExam(db, scope, session.examId)
  const at = opensAt(opening, session, exam)
  if (platform.clock.now() >= at) return
  const minutes = OPENINGS[opening].minutesOf(exam)
  const when = minutes > 0 ? `${minutes} minutes before the exam session starts` : 'when the exam session starts'
  throw new ConflictError(
    'exam_session_not_started',
    `${OPENINGS[opening].what} opens at ${utcToZoned(at, session.timeZone).replace('T', ' ')} (${session.timeZone}), ${when}.`,
  )
}

/** Marks a seated candidate present, from the time check-in opens (see `opensAt`). */
export async function checkInCandidate(platform: Platform, scope: OrgScope, sessionId: string, registrationId: string): Promise<Registration> {
  requireRole(scope, 'staff')
  return platform.db.transaction(async (tx) => {
    const session = await lockSession(tx, scope, sessionId)
    if (session.status === 'cancelled') throw new ConflictError('exam_session_closed', 'This exam session is cancelled.')
    const registration = await getRegistration(tx, scope, sessionId, registrationId)
    if (registration.status !== 'seated') throw new ConflictError('waitlisted', 'This candidate is on the waitlist, without a seat.')
    await requireStarted(platform, tx, scope, 'checkIn', sessionId)
    if (registration.checkedInAt) return registration
    const [row] = await tx.update(examRegistrations).set({ checkedInAt: platform.clock.now() }).where(eq(examRegistrations.id, registration.id)).returning()
    await platform.audit.recordIn(tx, { action: 'exams.candidate_checked_in', orgId: scope.orgId, actorAccountId: scope.accountId, target: registration.id })
    return row ?? registration
  })
}

export type RegistrationSortKey = 'place' | 'name' | 'email' | 'present' | 'score' | 'result'
export const REGISTRATION_SORT: SortableColumns<RegistrationSortKey> = {
  columns: {
    place: examRegistrations.status,
    name: sql`lower(${examRegistrations.name})`,
    email: examRegistrations.email,
    present: examRegistrations.checkedInAt,
    score: examRegistrations.score,
    result: examRegistrations.passed,
  },
  defaultSort: { key: 'place', direction: 'asc' },
  thenBy: examRegistrations.position,
  tieBreaker: examRegistrations.id,
}

/** The exam session's candidates: seated first, then the waitlist, each in registration order, unless `order` says otherwise. */
export function listRegistrations(db: Db, scope: { orgId: string }, sessionId: string, order: SortQuery = {}): Promise<Registration[]> {
  return db
    .select()
    .from(examRegistrations)
    .where(and(eq(examRegistrations.orgId, scope.orgId), eq(examRegistrations.examSessionId, sessionId)))
    .orderBy(...orderByOf(REGISTRATION_SORT, resolveSort(REGISTRATION_SORT, order)))
}

export interface RegistrationImportPreview {
  id: string
  fileName: string
  totalRows: number
  validRows: number
  alreadyRegistered: number
  problems: RowProblem[]
}

/**
 * Reads a CSV of registrations (exam session ID, name, email) and checks every row: the email, the
 * exam session (known, open, with a free seat counting the file's earlier rows) and duplicates in
 * the file. Nothing is saved: the preview is stored until confirmed. Candidates already registered
 * (by an earlier upload, say) are counted, not registered again.
 */
export async function previewRegistrationImport(
  platform: Platform,
  scope: OrgScope,
  file: { fileName: string; content: Buffer },
): Promise<RegistrationImportPreview> {
  requireRole(scope, 'staff')
  const upload = parseCsvUpload(file.content, REGISTRATIONS_CSV)
  const sessionIds = [...new Set(upload.rows.map((row) => row.values.session ?? ''))].filter(Boolean)
  const sessions = new Map(
    (sessionIds.length > 0
      ? await platform.db
          .select({ id: examSessions.id, status: examSessions.status, seats: examSessions.seats })
          .from(examSessions)
          .where(and(eq(examSessions.orgId, scope.orgId), inArray(examSessions.id, sessionIds)))
      : []
    ).map((session) => [session.id, session]),
  )
  const existing =
    sessions.size > 0
      ? await platform.db
          .select()
          .from(examRegistrations)
          .where(inArray(examRegistrations.examSessionId, [...sessions.keys()]))
      : []
  const registered = new Set(existing.map((row) => `${row.examSessionId}\n${row.email}`))
  const taken = new Map<string, number>()
  for (const row of existing) if (row.status === 'seated') taken.set(row.examSessionId, (taken.get(row.examSessionId) ?? 0) + 1)

  const problems = [...upload.problems]
  const rows: RegistrationImportRow[] = []
  const inFile = new Map<string, number>()
  let alreadyRegistered = 0
  for (const { line, values } of upload.rows) {
    const email = normalizeEmail(values.email ?? '')
    const name = (values.name ?? '').trim()
    const session = sessions.get(values.session ?? '')
    const key = `${session?.id}\n${email}`
    const seats = session ? session.seats - (taken.get(session.id) ?? 0) : 0
    const problem = problemOf(line, [
      !EMAIL.test(email) && `bad email ${quoted(values.email)}`,
      (!name || name.length > 200) && 'a name of 1 to 200 characters is needed',
      !session && `unknown exam session ${quoted(values.session)}`,
      session && !OPEN.includes(session.status) && `exam session ${session.id} is ${session.status}`,
      session && inFile.has(key) && `duplicate of line ${inFile.get(key)}`,
      session && !registered.has(key) && seats <= 0 && `exam session ${session.id} is full (${session.seats} seats)`,
    ])
    if (problem || !session) {
      if (problem) problems.push(problem)
      continue
    }
    inFile.set(key, line)
    if (registered.has(key)) {
      alreadyRegistered++
      continue
    }
    taken.set(session.id, (taken.get(session.id) ?? 0) + 1)
    rows.push({ line, examSessionId: session.id, name, email })
  }
  problems.sort((a, b) => a.line - b.line)
  const [stored] = await platform.db
    .insert(examRegistrationImports)
    .values({
      orgId: scope.orgId,
      fileName: file.fileName.slice(0, 200),
      rows,
      totalRows: upload.totalRows,
      validRows: rows.length,
      alreadyRegistered,
      createdByAccountId: scope.accountId,
    })
    .returning()
  if (!stored) throw new Error('The preview was not stored.')
  return { id: stored.id, fileName: stored.fileName, totalRows: upload.totalRows, validRows: rows.length, alreadyRegistered, problems }
}

/**
 * Registers every valid row of a previewed upload in one transaction, checking each exam session
 * again (all or nothing). Confirming twice, or re-uploading the file, registers nobody twice.
 */
export async function confirmRegistrationImport(platform: Platform, scope: OrgScope, importId: string): Promise<{ saved: number }> {
  requireRole(scope, 'staff')
  return platform.db.transaction(async (tx) => {
    const [upload] = await tx
      .select()
      .from(examRegistrationImports)
      .where(and(eq(examRegistrationImports.orgId, scope.orgId), eq(examRegistrationImports.id, importId)))
      .for('update')
    if (!upload) throw new NotFoundError('exam_registration_import', importId)
    if (upload.state === 'saved') return { saved: upload.saved }
    if (upload.rows.length === 0) throw new ConflictError('nothing_to_save', 'This file has no new valid rows: there is nobody to register.')
    const bySession = new Map<string, RegistrationImportRow[]>()
    for (const row of upload.rows) bySession.set(row.examSessionId, [...(bySession.get(row.examSessionId) ?? []), row])
    let saved = 0
    const notices: CandidateNotice[] = []
    for (const [sessionId, rows] of [...bySession].sort(([a], [b]) => a.localeCompare(b))) {
      const session = await lockSession(tx, scope, sessionId)
      requireOpen(session)
      const added = await addCandidates(platform, tx, scope, session, rows, { collect: notices })
      const waitlisted = added.find((row) => row.status === 'waitlisted')
      if (waitlisted) throw new ConflictError('import_stale', `Exam session ${sessionId} filled up since the preview; upload the file again.`)
      saved += added.length
    }
    await emailCandidates(platform, tx, notices)
    await tx.update(examRegistrationImports).set({ state: 'saved', rows: [], saved }).where(eq(examRegistrationImports.id, upload.id))
    return { saved }
  })
}

export interface ResultEntry {
  email: string
  score: number
}

const resultKey = (registrationId: string) => `exam-registration:${registrationId}`

/**
 * Records the scores of seated candidates (all or nothing, naming each bad entry). A pass — score at
 * or above the exam's pass mark — issues the exam's achievement credential, once per registration:
 * recording or importing the same results again issues nothing new.
 */
export async function recordResults(
  platform: Platform,
  scope: OrgScope,
  sessionId: string,
  entries: (ResultEntry & { line?: number })[],
): Promise<{ recorded: number; passed: number; issued: number }> {
  requireRole(scope, 'staff')
  const session = await getExamSession(platform.db, scope, sessionId)
  if (session.status !== 'confirmed' && session.status !== 'completed') {
    throw new ConflictError('exam_session_not_held', `This exam session is ${session.status}; results are entered once it is confirmed.`)
  }
  await requireStarted(platform, platform.db, scope, 'results', sessionId)
  const exam = await getExam(platform.db, scope, session.examId)
  const byEmail = new Map((await listRegistrations(platform.db, scope, sessionId)).map((row) => [row.email, row]))
  const problems: string[] = []
  const seen = new Set<string>()
  const updates = entries.flatMap((entry, i) => {
    const where = `line ${entry.line ?? i + 1}`
    const email = normalizeEmail(entry.email)
    const registration = byEmail.get(email)
    const passed = entry.score >= exam.passMark
    const reason = !registration
      ? `${email || '(no email)'} is not registered for this exam session`
      : registration.status !== 'seated'
        ? `${email} is on the waitlist`
        : seen.has(email)
          ? `${email} appears twice`
          : !Number.isInteger(entry.score) || entry.score < 0 || entry.score > exam.maxScore
            ? `score must be a whole number from 0 to ${exam.maxScore}`
            : registration.credentialId && !passed
              ? `${email} already passed and holds credential ${registration.credentialId}; revoke it before recording a fail`
              : undefined
    seen.add(email)
    if (reason || !registration) {
      problems.push(`${where}: ${reason}`)
      return []
    }
    return [{ registration, score: entry.score, passed }]
  })
  if (problems.length > 0) {
    throw new InvalidError('results_invalid', `No results were saved. ${problems.slice(0, 20).join('; ')}${problems.length > 20 ? '; …' : ''}`)
  }
  if (updates.length === 0) throw new InvalidError('no_results', 'There are no results to save.')

  const write = async (tx: Db, issued: CredentialRow[]) => {
    const credentialByKey = new Map(issued.map((row) => [row.idempotencyKey, row.id]))
    const now = platform.clock.now()
    for (const { registration, score, passed } of updates) {
      const credentialId = credentialByKey.get(resultKey(registration.id))
      await tx
        .update(examRegistrations)
        .set({ score, passed, resultRecordedAt: now, ...(credentialId ? { credentialId } : {}) })
        .where(eq(examRegistrations.id, registration.id))
      await platform.audit.recordIn(tx, {
        action: 'exams.result_recorded',
        orgId: scope.orgId,
        actorAccountId: scope.accountId,
        target: registration.id,
        data: { examSessionId: sessionId, score, passed },
      })
      if (credentialId) {
        await platform.audit.recordIn(tx, {
          action: 'exams.credential_issued',
          orgId: scope.orgId,
          actorAccountId: scope.accountId,
          target: registration.id,
          data: { examSessionId: sessionId, credentialId },
        })
      }
    }
  }
  const toIssue = exam.achievementId ? updates.filter((update) => update.passed && !update.registration.credentialId) : []
  if (exam.achievementId && toIssue.length > 0) {
    const achievementId = exam.achievementId
    const outcomes = await issueCredentials(
      platform,
      scope,
      toIssue.map(({ registration, score }) => ({
        achievementId,
        recipientEmail: registration.email,
        recipientName: registration.name,
        result: { score, passMark: exam.passMark, maxScore: exam.maxScore, takenOn: session.endsAt },
        // Dated by the exam session: its end, or now while it is still under way.
        validFrom: new Date(Math.min(session.endsAt.getTime(), platform.clock.now().getTime())),
        idempotencyKey: resultKey(registration.id),
      })),
      { alsoInTransaction: write },
    )
    return { recorded: updates.length, passed: updates.filter((u) => u.passed).length, issued: outcomes.filter((o) => o.isNew).length }
  }
  await platform.db.transaction((tx) => write(tx, []))
  return { recorded: updates.length, passed: updates.filter((u) => u.passed).length, issued: 0 }
}

/** Records results from a CSV file with columns email and score; see recordResults. */
export function importResults(platform: Platform, scope: OrgScope, sessionId: string, content: Buffer) {
  const upload = parseCsvUpload(content, RESULTS_CSV)
  if (upload.problems.length > 0) {
    const listed = upload.problems.slice(0, 20).map((problem) => `line ${problem.line}: ${problem.reason}`)
    throw new InvalidError('results_invalid', `No results were saved. ${listed.join('; ')}${upload.problems.length > 20 ? '; …' : ''}`)
  }
  return recordResults(
    platform,
    scope,
    sessionId,
    upload.rows.map(({ line, values }) => ({ line, email: values.email ?? '', score: /^\d+$/.test(values.score ?? '') ? Number(values.score) : Number.NaN })),
  )
}
