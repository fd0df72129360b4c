import { and, eq, inArray } from 'drizzle-orm'
import { type CsvFormat, csvRowKey, parseCsvUpload, problemOf, quoted, type RowProblem } from '../../../platform/csv.ts'
import { ConflictError, NotFoundError } from '../../../platform/errors.ts'
import type { Platform } from '../../../platform/platform.ts'
import { zonedToUtc } from '../../../platform/time-zones.ts'
import { type OrgScope, requireRole } from '../../orgs/service.ts'
import { type ExamSessionImportRow, examSessionImports, examSessions } from '../schema.ts'
import { checkPlanned, loadBookings, loadCatalog, lockScheduling, type PlannedSession } from './scheduling.ts'

export const MAX_IMPORT_ROWS = 5000
const INSERT_BATCH = 500
const WHEN = "YYYY-MM-DD HH:MM in the centre's time zone"

/** The columns of an exam sessions file. */
export const EXAM_SESSIONS_CSV: CsvFormat = {
  columns: [
    { name: 'exam', note: 'its code', examples: ['FA-101', 'FA-101'] },
    { name: 'centre', note: 'its code', examples: ['LON1', 'LON1'] },
    { name: 'room', note: 'its name', examples: ['Room A', 'Room B'] },
    { name: 'start', note: WHEN, examples: ['2027-03-01 09:00', '2027-03-01 14:00'] },
    { name: 'end', isOptional: true, note: "the exam's duration after the start when empty", examples: ['2027-03-01 11:00', ''] },
    { name: 'seats', isOptional: true, note: "the room's capacity when empty", examples: ['12', ''] },
    { name: 'proctor', isOptional: true, note: 'their email', examples: ['proctor@example.org', ''] },
  ],
  maxRows: MAX_IMPORT_ROWS,
}

/** Why a valid row could not be created at the testing portal (the first broken rule), given its proctor's portal ID; empty when it could. */
export type PortalRowCheck = (planned: PlannedSession, portalProctorId: string | null) => { rule: string; message: string }[]

export interface ExamSessionImportPreview {
  id: string
  fileName: string
  totalRows: number
  validRows: number
  alreadyCreated: number
  problems: RowProblem[]
}

/** The key that makes a CSV row create at most one exam session: same org, exam, room and start. */
function sessionRowKey(orgId: string, row: { examId: string; roomId: string; startsAt: Date }): string {
  return csvRowKey([orgId, row.examId, row.roomId, row.startsAt.toISOString()])
}

const toPlanned = (row: ExamSessionImportRow): PlannedSession => ({ ...row, startsAt: new Date(row.startsAt), endsAt: new Date(row.endsAt) })

/**
 * Reads a CSV of exam sessions (exam code, centre code, room name, start and optional end as
 * "YYYY-MM-DD HH:MM" in the centre's time zone, optional seats defaulting to the room's capacity,
 * optional proctor email) and checks every row against the catalog, the stored bookings and the
 * file's own earlier rows, in memory. Nothing is created: the preview is stored until confirmed.
 * Rows created by an earlier upload are counted, not created again.
 */
export async function previewExamSessionImport(
  platform: Platform,
  scope: OrgScope,
  file: { fileName: string; content: Buffer },
  options: { portalCheck?: PortalRowCheck } = {},
): Promise<ExamSessionImportPreview> {
  requireRole(scope, 'staff')
  const upload = parseCsvUpload(file.content, EXAM_SESSIONS_CSV)
  const catalog = await loadCatalog(platform.db, scope)
  const examsByCode = new Map([...catalog.exams.values()].map((exam) => [exam.code.toLowerCase(), exam]))
  const centresByCode = new Map([...catalog.centres.values()].map((centre) => [centre.code.toLowerCase(), centre]))
  const roomsByName = new Map([...catalog.rooms.values()].map((room) => [`${room.centreId}\n${room.name.toLowerCase()}`, room]))
  const proctorsByEmail = new Map([...catalog.proctors.values()].map((proctor) => [proctor.email, proctor]))

  const problems = [...upload.problems]
  const resolved: { planned: PlannedSession; key: string }[] = []
  for (const { line, values } of upload.rows) {
    const text = (column: string) => (values[column] ?? '').trim()
    const exam = examsByCode.get(text('exam').toLowerCase())
    const centre = centresByCode.get(text('centre').toLowerCase())
    const room = centre && roomsByName.get(`${centre.id}\n${text('room').toLowerCase()}`)
    const proctor = text('proctor') ? proctorsByEmail.get(text('proctor').toLowerCase()) : undefined
    const startsAt = centre && zonedToUtc(text('start'), centre.timeZone)
    const endsAt =
      centre && (text('end') ? zonedToUtc(text('end'), centre.timeZone) : startsAt && exam && new Date(startsAt.getTime() + exam.durationMinutes * 60_000))
    const seats = text('seats') ? Number(text('seats')) : room?.capacity
    const problem = problemOf(line, [
      !exam && `unknown exam code ${quoted(text('exam'))}`,
      !centre && `unknown centre ${quoted(text('centre'))}`,
      centre && !room && `unknown room ${quoted(text('room'))} at centre ${centre.code}`,
      Boolean(text('proctor')) && !proctor && `unknown proctor ${quoted(text('proctor'))}`,
      centre && !startsAt && `bad start ${quoted(text('start'))} (use ${WHEN})`,
      centre && startsAt && !endsAt && `bad end ${quoted(text('end'))} (use ${WHEN})`,
    ])
    if (problem || !exam || !room || !startsAt || !endsAt || seats === undefined) {
      problems.push(problem ?? { line, reason: 'incomplete row' })
      continue
    }
    const planned = { line, examId: exam.id, roomId: room.id, proctorId: proctor?.id ?? null, startsAt, endsAt, seats }
    resolved.push({ planned, key: sessionRowKey(scope.orgId, planned) })
  }

  const createdKeys = await existingKeys(
    platform,
    scope,
    resolved.map((row) => row.key),
  )
  const fresh = resolved.filter((row) => !createdKeys.has(row.key))
  const bookings = await loadBookings(
    platform.db,
    scope,
    fresh.map((row) => row.planned),
  )
  const accepted = new Map<string, PlannedSession[]>()
  const now = platform.clock.now()
  const rows: ExamSessionImportRow[] = []
  for (const { planned, key } of fresh) {
    const problem = checkPlanned(planned, { catalog, bookings, now, accepted })
    const portalProblem = problem ? undefined : options.portalCheck?.(planned, catalog.proctors.get(planned.proctorId ?? '')?.portalProctorId ?? null)[0]
    if (problem) problems.push({ line: planned.line ?? 0, reason: problem.reason })
    else if (portalProblem) problems.push({ line: planned.line ?? 0, reason: `breaks the portal rule ${portalProblem.rule}: ${portalProblem.message}` })
    else rows.push({ ...planned, line: planned.line ?? 0, startsAt: planned.startsAt.toISOString(), endsAt: planned.endsAt.toISOString(), idempotencyKey: key })
  }
  problems.sort((a, b) => a.line - b.line)
  const [stored] = await platform.db
    .insert(examSessionImports)
    .values({
      orgId: scope.orgId,
      fileName: file.fileName.slice(0, 200),
      rows,
      totalRows: upload.totalRows,
      validRows: rows.length,
      alreadyCreated: resolved.length - fresh.length,
      createdByAccountId: scope.accountId,
    })
    .returning()
  if (!stored) throw new Error('The preview was not stored.')
  return { id: stored.id, fileName: stored.fileName, totalRows: stored.totalRows, validRows: rows.length, alreadyCreated: stored.alreadyCreated, problems }
}

async function existingKeys(platform: Platform, scope: OrgScope, keys: string[]): Promise<Set<string>> {
  const found = new Set<string>()
  for (let start = 0; start < keys.length; start += 5000) {
    const rows = await platform.db
      .select({ key: examSessions.idempotencyKey })
      .from(examSessions)
      .where(and(eq(examSessions.orgId, scope.orgId), inArray(examSessions.idempotencyKey, keys.slice(start, start + 5000))))
    for (const { key } of rows) if (key) found.add(key)
  }
  return found
}

/**
 * Creates every valid row of a previewed upload in one transaction, after checking them again
 * against what was booked since the preview (all or nothing). Confirming twice creates nothing new.
 */
export async function confirmExamSessionImport(platform: Platform, scope: OrgScope, importId: string): Promise<{ created: number; examSessionIds: string[] }> {
  requireRole(scope, 'staff')
  return platform.db.transaction(async (tx) => {
    const [upload] = await tx
      .select()
      .from(examSessionImports)
      .where(and(eq(examSessionImports.orgId, scope.orgId), eq(examSessionImports.id, importId)))
      .for('update')
    if (!upload) throw new NotFoundError('exam_session_import', importId)
    if (upload.state === 'created') return { created: upload.created, examSessionIds: [] }
    if (upload.rows.length === 0) throw new ConflictError('nothing_to_create', 'This file has no new valid rows: there is nothing to create.')
    await lockScheduling(tx, scope)
    const planned = upload.rows.map(toPlanned)
    const catalog = await loadCatalog(tx, scope)
    const bookings = await loadBookings(tx, scope, planned)
    const now = platform.clock.now()
    const accepted = new Map<string, PlannedSession[]>()
    const stale = planned.flatMap((row) => {
      const problem = checkPlanned(row, { catalog, bookings, now, accepted })
      return problem ? [`line ${row.line}: ${problem.reason}`] : []
    })
    if (stale.length > 0) {
      throw new ConflictError(
        'import_stale',
        `Things changed since the preview; upload the file again. ${stale.slice(0, 10).join('; ')}${stale.length > 10 ? '; …' : ''}`,
      )
    }
    const ids: string[] = []
    for (let start = 0; start < upload.rows.length; start += INSERT_BATCH) {
      const inserted = await tx
        .insert(examSessions)
        .values(
          upload.rows.slice(start, start + INSERT_BATCH).map((row) => ({
            orgId: scope.orgId,
            examId: row.examId,
            centreId: catalog.rooms.get(row.roomId)?.centreId ?? '',
            roomId: row.roomId,
            proctorId: row.proctorId,
            startsAt: new Date(row.startsAt),
            endsAt: new Date(row.endsAt),
            seats: row.seats,
            idempotencyKey: row.idempotencyKey,
            createdByAccountId: scope.accountId,
          })),
        )
        .onConflictDoNothing()
        .returning({ id: examSessions.id })
      ids.push(...inserted.map((row) => row.id))
    }
    await tx.update(examSessionImports).set({ state: 'created', rows: [], created: ids.length }).where(eq(examSessionImports.id, upload.id))
    await platform.audit.recordIn(tx, {
      action: 'exams.sessions_imported',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: upload.id,
      data: { fileName: upload.fileName, created: ids.length, examSessionIds: ids },
    })
    return { created: ids.length, examSessionIds: ids }
  })
}
