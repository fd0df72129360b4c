import { and, eq, inArray } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { examSessions, exams, proctors, rooms, testCentres } from '../schema.ts'

/* An exam session with the names of its exam, centre, room and proctor: one query shape for every page, job and mail that shows one. */

const sessionView = {
  id: examSessions.id,
  status: examSessions.status,
  startsAt: examSessions.startsAt,
  endsAt: examSessions.endsAt,
  seats: examSessions.seats,
  cancellationReason: examSessions.cancellationReason,
  examId: examSessions.examId,
  examCode: exams.code,
  examTitle: exams.title,
  centreId: examSessions.centreId,
  centreCode: testCentres.code,
  centreName: testCentres.name,
  timeZone: testCentres.timeZone,
  roomId: examSessions.roomId,
  roomName: rooms.name,
  roomCapacity: rooms.capacity,
  proctorId: examSessions.proctorId,
  proctorName: proctors.name,
  portalProctorId: proctors.portalProctorId,
  portalSessionId: examSessions.portalSessionId,
  selfRegistrationClosesAt: examSessions.selfRegistrationClosesAt,
}

export type ExamSessionView = {
  [K in keyof typeof sessionView]: (typeof sessionView)[K]['_']['notNull'] extends true
    ? (typeof sessionView)[K]['_']['data']
    : (typeof sessionView)[K]['_']['data'] | null
}

export function selectViews(db: Db) {
  return db
    .select(sessionView)
    .from(examSessions)
    .innerJoin(exams, eq(exams.id, examSessions.examId))
    .innerJoin(testCentres, eq(testCentres.id, examSessions.centreId))
    .innerJoin(rooms, eq(rooms.id, examSessions.roomId))
    .leftJoin(proctors, eq(proctors.id, examSessions.proctorId))
}

/** The exam sessions of the org among `sessionIds`, by ID (IDs of other orgs or unknown ones are left out). */
export async function getExamSessionViews(db: Db, scope: { orgId: string }, sessionIds: string[]): Promise<Map<string, ExamSessionView>> {
  const found = new Map<string, ExamSessionView>()
  const ids = [...new Set(sessionIds)]
  for (let start = 0; start < ids.length; start += 1000) {
    const rows = await selectViews(db).where(and(eq(examSessions.orgId, scope.orgId), inArray(examSessions.id, ids.slice(start, start + 1000))))
    for (const row of rows as ExamSessionView[]) found.set(row.id, row)
  }
  return found
}
