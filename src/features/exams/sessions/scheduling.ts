import { and, eq, gt, inArray, isNull, lt, ne, sql } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { InvalidError } from '../../../platform/errors.ts'
import { utcToZoned, zonedToUtc } from '../../../platform/time-zones.ts'
import type { Exam, Proctor, Room, TestCentre } from '../catalog/catalog.ts'
import { examSessions, exams, proctors, rooms, testCentres } from '../schema.ts'

/** An exam session as planned, before it is stored: what every scheduling rule looks at. */
export interface PlannedSession {
  /** The CSV line it came from, to name it in another row's problem. */
  line?: number
  examId: string
  roomId: string
  proctorId: string | null
  startsAt: Date
  endsAt: Date
  seats: number
}

/** A rule a planned exam session breaks: the form field to fix and the reason in words. */
export interface ScheduleProblem {
  field: 'examId' | 'roomId' | 'proctorId' | 'start' | 'end' | 'seats'
  reason: string
}

/** The org's catalog, read with one query per table, so a whole CSV file is checked in memory. */
export interface Catalog {
  exams: Map<string, Exam>
  centres: Map<string, TestCentre>
  rooms: Map<string, Room>
  proctors: Map<string, Proctor>
}

export async function loadCatalog(db: Db, scope: { orgId: string }): Promise<Catalog> {
  const byId = <T extends { id: string }>(rows: T[]) => new Map(rows.map((row) => [row.id, row]))
  return {
    exams: byId(
      await db
        .select()
        .from(exams)
        .where(and(eq(exams.orgId, scope.orgId), isNull(exams.archivedAt))),
    ),
    centres: byId(
      await db
        .select()
        .from(testCentres)
        .where(and(eq(testCentres.orgId, scope.orgId), isNull(testCentres.archivedAt))),
    ),
    rooms: byId(
      await db
        .select()
        .from(rooms)
        .where(and(eq(rooms.orgId, scope.orgId), isNull(rooms.archivedAt))),
    ),
    proctors: byId(
      await db
        .select()
        .from(proctors)
        .where(and(eq(proctors.orgId, scope.orgId), isNull(proctors.archivedAt))),
    ),
  }
}

interface Booking {
  id: string
  startsAt: Date
  endsAt: Date
}

/** Exam sessions (not cancelled) holding the given rooms at some time within the planned span, by room; one query. */
export async function loadBookings(db: Db, scope: { orgId: string }, planned: PlannedSession[], exceptSessionId?: string): Promise<Map<string, Booking[]>> {
  const byRoom = new Map<string, Booking[]>()
  if (planned.length === 0) return byRoom
  const from = new Date(Math.min(...planned.map((session) => session.startsAt.getTime())))
  const to = new Date(Math.max(...planned.map((session) => session.endsAt.getTime())))
  const rows = await db
    .select({ id: examSessions.id, roomId: examSessions.roomId, startsAt: examSessions.startsAt, endsAt: examSessions.endsAt })
    .from(examSessions)
    .where(
      and(
        eq(examSessions.orgId, scope.orgId),
        inArray(examSessions.roomId, [...new Set(planned.map((session) => session.roomId))]),
        inArray(examSessions.status, ['scheduled', 'confirmed']),
        lt(examSessions.startsAt, to),
        gt(examSessions.endsAt, from),
        exceptSessionId ? ne(examSessions.id, exceptSessionId) : undefined,
      ),
    )
  for (const row of rows) byRoom.set(row.roomId, [...(byRoom.get(row.roomId) ?? []), row])
  return byRoom
}

/** Serialises scheduling within an org, so two requests cannot book the same room at once. */
export async function lockScheduling(tx: Db, scope: { orgId: string }): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`exams.scheduling:${scope.orgId}`}))`)
}

const overlaps = (a: { startsAt: Date; endsAt: Date }, b: { startsAt: Date; endsAt: Date }) => a.startsAt < b.endsAt && b.startsAt < a.endsAt

/**
 * Checks one planned exam session against every scheduling rule: a known exam, room and proctor, not
 * in the past, ending after it starts, seats within the room's capacity, and the room free: neither
 * booked by a stored exam session nor by a planned one accepted earlier (`accepted`, by room, which
 * this function extends when the session passes).
 */
export function checkPlanned(
  planned: PlannedSession,
  context: { catalog: Catalog; bookings: Map<string, Booking[]>; now: Date; accepted?: Map<string, PlannedSession[]> },
): ScheduleProblem | undefined {
  const { catalog, bookings, now, accepted } = context
  const room = catalog.rooms.get(planned.roomId)
  const centre = room && catalog.centres.get(room.centreId)
  if (!catalog.exams.has(planned.examId)) return { field: 'examId', reason: 'unknown exam' }
  if (!room || !centre) return { field: 'roomId', reason: 'unknown room' }
  if (planned.proctorId && !catalog.proctors.has(planned.proctorId)) return { field: 'proctorId', reason: 'unknown proctor' }
  if (planned.endsAt <= planned.startsAt) return { field: 'end', reason: 'ends before it starts' }
  if (planned.startsAt < now) return { field: 'start', reason: 'starts in the past' }
  if (!Number.isInteger(planned.seats) || planned.seats < 1) return { field: 'seats', reason: 'seats must be a whole number of 1 or more' }
  if (planned.seats > room.capacity) return { field: 'seats', reason: `over capacity: ${planned.seats} seats, but room ${room.name} holds ${room.capacity}` }
  const local = (date: Date) => utcToZoned(date, centre.timeZone).replace('T', ' ')
  const booked = bookings.get(room.id)?.find((booking) => overlaps(booking, planned))
  if (booked) {
    return {
      field: 'start',
      reason: `room ${room.name} is double-booked: exam session ${booked.id} holds it from ${local(booked.startsAt)} to ${local(booked.endsAt)}`,
    }
  }
  const clash = accepted?.get(room.id)?.find((other) => overlaps(other, planned))
  if (clash) return { field: 'start', reason: `room ${room.name} is double-booked: line ${clash.line} of this file holds it at an overlapping time` }
  const inRoom = accepted?.get(room.id)
  if (inRoom) inRoom.push(planned)
  else accepted?.set(room.id, [planned])
  return undefined
}

/**
 * A planned exam session from form values: start and end are wall-clock times in the room's centre's
 * time zone; the end defaults to the start plus the exam's duration, the seats to the room's capacity.
 */
export function planFromLocalTimes(
  catalog: Catalog,
  input: { examId: string; roomId: string; proctorId?: string; start: string; end?: string; seats?: number },
): PlannedSession {
  const exam = catalog.exams.get(input.examId)
  const room = catalog.rooms.get(input.roomId)
  const centre = room && catalog.centres.get(room.centreId)
  if (!exam) throw new InvalidError('unknown_exam', 'Choose one of your active exams.', { examId: 'Choose one of your active exams.' })
  if (!room || !centre) throw new InvalidError('unknown_room', 'Choose one of your active rooms.', { roomId: 'Choose one of your active rooms.' })
  const startsAt = zonedToUtc(input.start, centre.timeZone)
  if (!startsAt) throw new InvalidError('bad_start', 'The start is not a real date and time.', { start: 'Enter a real date and time.' })
  const endsAt = input.end ? zonedToUtc(input.end, centre.timeZone) : new Date(startsAt.getTime() + exam.durationMinutes * 60_000)
  if (!endsAt) throw new InvalidError('bad_end', 'The end is not a real date and time.', { end: 'Enter a real date and time.' })
  return { examId: exam.id, roomId: room.id, proctorId: input.proctorId || null, startsAt, endsAt, seats: input.seats ?? room.capacity }
}
