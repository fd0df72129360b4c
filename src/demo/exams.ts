import {
  cancelExamSessions,
  checkInCandidate,
  completeExamSessions,
  confirmExamSessions,
  createExamSession,
  type Exam,
  listRegistrations,
  type Proctor,
  type Room,
  recordResults,
  registerCandidate,
  saveCentre,
  saveExam,
  saveProctor,
  saveRoom,
} from '../features/exams/service.ts'
import type { OrgScope } from '../features/orgs/service.ts'
import { zonedToUtc } from '../platform/time-zones.ts'
import type { DemoAchievements } from './achievements.ts'
import { DEMO_DOMAIN, DEMO_RECIPIENT, type DemoPerson } from './people.ts'
import { DAY_MS, type DemoRandom, type Timeline } from './timeline.ts'

interface Catalog {
  practitionerExam: Exam
  practicalExam: Exam
  advancedExam: Exam
  rooms: { londonOne: Room; londonTwo: Room; manchester: Room; lisbon: Room }
  proctors: Proctor[]
}

async function createCatalog(timeline: Timeline, owner: OrgScope, achievements: DemoAchievements): Promise<Catalog> {
  const platform = timeline.at(timeline.daysAgo(400))
  const exam = (code: string, title: string, durationMinutes: number, passMark: number, maxScore: number, achievementId: string | null) =>
    saveExam(platform, owner, { code, title, durationMinutes, passMark, maxScore, achievementId })
  const practitionerExam = await exam('CDPP', 'Data Protection Practitioner exam', 120, 70, 100, achievements.practitioner.id)
  const practicalExam = await exam('FAI-P', 'First Aid Instructor practical assessment', 180, 60, 80, achievements.instructor.id)
  const advancedExam = await exam('CDPP-ADV', 'Advanced data protection: international transfers', 90, 75, 100, null)
  const london = await saveCentre(platform, owner, { code: 'LON', name: 'London Bridge Testing Centre', timeZone: 'Europe/London' })
  const manchester = await saveCentre(platform, owner, { code: 'MAN', name: 'Manchester Piccadilly Centre', timeZone: 'Europe/London' })
  const lisbon = await saveCentre(platform, owner, { code: 'LIS', name: 'Centro de Exames de Lisboa', timeZone: 'Europe/Lisbon' })
  const rooms = {
    londonOne: await saveRoom(platform, owner, london.id, { name: 'Room 1', capacity: 12 }),
    londonTwo: await saveRoom(platform, owner, london.id, { name: 'Room 2', capacity: 8 }),
    manchester: await saveRoom(platform, owner, manchester.id, { name: 'Hall A', capacity: 20 }),
    lisbon: await saveRoom(platform, owner, lisbon.id, { name: 'Sala 3', capacity: 10 }),
  }
  const proctors = [
    await saveProctor(platform, owner, { name: 'Oliver Grant', email: `oliver.grant@${DEMO_DOMAIN}`, memberId: null }),
    await saveProctor(platform, owner, { name: 'Sofia Almeida', email: `sofia.almeida@${DEMO_DOMAIN}`, memberId: null }),
    await saveProctor(platform, owner, { name: 'Kwame Mensah', email: `kwame.mensah@${DEMO_DOMAIN}`, memberId: null }),
  ]
  return { practitionerExam, practicalExam, advancedExam, rooms, proctors }
}

interface PlannedDemoSession {
  /** Days from today: negative in the past. */
  day: number
  exam: Exam
  room: Room
  proctor: Proctor | null
  seats: number
  candidates: DemoPerson[]
}

/** 09:00 in London (and Lisbon, on the same clock) on the given day from today. */
function morningOf(timeline: Timeline, day: number): Date {
  const date = new Date(timeline.today.getTime() + day * DAY_MS).toISOString().slice(0, 10)
  const morning = zonedToUtc(`${date}T09:00`, 'Europe/London')
  if (!morning) throw new Error(`No 09:00 on ${date} in London.`)
  return morning
}

async function schedule(timeline: Timeline, owner: OrgScope, planned: PlannedDemoSession, now: Date) {
  const startsAt = morningOf(timeline, planned.day)
  const endsAt = new Date(startsAt.getTime() + planned.exam.durationMinutes * 60_000)
  const bookedAt = new Date(Math.min(startsAt.getTime() - 30 * DAY_MS, now.getTime()))
  const platform = timeline.at(bookedAt)
  const session = await createExamSession(platform, owner, {
    examId: planned.exam.id,
    roomId: planned.room.id,
    proctorId: planned.proctor?.id ?? null,
    startsAt,
    endsAt,
    seats: planned.seats,
  })
  for (const candidate of planned.candidates) await registerCandidate(platform, owner, session.id, candidate)
  return { session, startsAt, endsAt }
}

/**
 * A year of exam sessions held (candidates checked in, results recorded, credentials issued by the
 * passes, completed) and the coming weeks' (seated candidates, a waitlist, one cancelled).
 */
export async function createExamHistory(
  timeline: Timeline,
  random: DemoRandom,
  owner: OrgScope,
  achievements: DemoAchievements,
  people: DemoPerson[],
): Promise<void> {
  const catalog = await createCatalog(timeline, owner, achievements)
  const { rooms, proctors } = catalog
  let next = 0
  const candidates = (count: number) => Array.from({ length: count }, () => people[next++ % people.length] as DemoPerson)
  const recipient = { name: DEMO_RECIPIENT.name, email: DEMO_RECIPIENT.email }
  const held: PlannedDemoSession[] = [
    { day: -330, exam: catalog.practitionerExam, room: rooms.londonOne, proctor: proctors[0] ?? null, seats: 12, candidates: candidates(10) },
    { day: -270, exam: catalog.practicalExam, room: rooms.manchester, proctor: proctors[2] ?? null, seats: 14, candidates: candidates(8) },
    { day: -200, exam: catalog.practitionerExam, room: rooms.lisbon, proctor: proctors[1] ?? null, seats: 10, candidates: candidates(9) },
    { day: -130, exam: catalog.practitionerExam, room: rooms.londonTwo, proctor: proctors[0] ?? null, seats: 8, candidates: candidates(8) },
    { day: -60, exam: catalog.practitionerExam, room: rooms.londonOne, proctor: proctors[0] ?? null, seats: 12, candidates: [recipient, ...candidates(10)] },
    { day: -45, exam: catalog.advancedExam, room: rooms.londonTwo, proctor: proctors[1] ?? null, seats: 8, candidates: candidates(6) },
    { day: -12, exam: catalog.practicalExam, room: rooms.manchester, proctor: proctors[2] ?? null, seats: 16, candidates: candidates(12) },
  ]
  for (const planned of held) {
    const { session, startsAt, endsAt } = await schedule(timeline, owner, planned, timeline.today)
    await confirmExamSessions(timeline.at(new Date(startsAt.getTime() - 7 * DAY_MS)), owner, [session.id])
    const registrations = await listRegistrations(timeline.db, owner, session.id)
    // Most candidates turn up; the others get no result.
    const present = registrations.filter((registration) => registration.email === recipient.email || random.chance(0.9))
    // At the start, not before: check-in opens when the exam session starts.
    const checkIn = timeline.at(new Date(startsAt.getTime() + random.int(0, 10) * 60_000))
    for (const registration of present) await checkInCandidate(checkIn, owner, session.id, registration.id)
    const { exam } = planned
    const scores = present.map((registration) => ({
      email: registration.email,
      score: registration.email === recipient.email ? Math.round(exam.maxScore * 0.88) : random.int(Math.round(exam.maxScore * 0.45), exam.maxScore),
    }))
    const marked = timeline.at(new Date(endsAt.getTime() + DAY_MS))
    await recordResults(marked, owner, session.id, scores)
    await completeExamSessions(marked, owner, [session.id])
  }

  const upcoming: PlannedDemoSession[] = [
    { day: 6, exam: catalog.practitionerExam, room: rooms.londonTwo, proctor: proctors[0] ?? null, seats: 8, candidates: candidates(11) },
    { day: 13, exam: catalog.practicalExam, room: rooms.manchester, proctor: proctors[2] ?? null, seats: 12, candidates: candidates(9) },
    { day: 27, exam: catalog.practitionerExam, room: rooms.lisbon, proctor: proctors[1] ?? null, seats: 10, candidates: candidates(4) },
    { day: 34, exam: catalog.advancedExam, room: rooms.londonOne, proctor: null, seats: 12, candidates: candidates(3) },
    { day: 41, exam: catalog.practitionerExam, room: rooms.londonOne, proctor: proctors[0] ?? null, seats: 12, candidates: candidates(2) },
  ]
  const today = timeline.at(timeline.today)
  const scheduled = []
  for (const planned of upcoming) scheduled.push((await schedule(timeline, owner, planned, timeline.today)).session)
  const [first, second, , advanced] = scheduled
  if (first && second) await confirmExamSessions(today, owner, [first.id, second.id])
  if (advanced) await cancelExamSessions(today, owner, [advanced.id], 'The room is closed for building works; candidates are offered the next date.')
}
