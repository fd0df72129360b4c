import type { Static } from 'typebox'
import type { TypedApp } from '../../platform/feature.ts'
import { API_RATE_LIMIT } from '../../platform/http/server.tsx'
import { requireRole, scopeOf } from '../orgs/service.ts'
import {
  CancelApiBody,
  CandidateFields,
  CatalogApiQuery,
  CentrePage,
  ExamPage,
  ExamSessionApiBody,
  ExamSessionIdsBody,
  ExamSessionList,
  ExamSessionPage,
  ExamSessionParams,
  ExamSessionsApiQuery,
  ExamSessionView,
  OrgParams,
  ProctorPage,
  RegistrationList,
  RegistrationView,
  RescheduleApiBody,
  ResultsApiBody,
  ResultsOutcome,
} from './contract.ts'
import {
  cancelExamSessions,
  confirmExamSessions,
  createExamSession,
  type Exam,
  type ExamSessionView as ExamSessionRow,
  getExamSession,
  getExamSessionView,
  listCentres,
  listExamSessions,
  listExams,
  listProctors,
  listRegistrations,
  listRooms,
  loadCatalog,
  type Proctor,
  planFromLocalTimes,
  type Registration,
  type Room,
  recordResults,
  registerCandidate,
  rescheduleExamSession,
  type TestCentre,
} from './service.ts'

// The exams feature's JSON API: thin routes over the same service functions as the pages.
// Reads need the staff role, like the pages; writes need an API key with write access (or a
// signed-in staff member with the CSRF token), and each service checks the role again.

const config = { rateLimit: API_RATE_LIMIT }
const catalogTags = ['Exams']
const tags = ['Exam sessions']

const iso = (date: Date | null) => date?.toISOString() ?? null

const examJson = (exam: Exam) => ({
  id: exam.id,
  code: exam.code,
  title: exam.title,
  durationMinutes: exam.durationMinutes,
  passMark: exam.passMark,
  maxScore: exam.maxScore,
  achievementId: exam.achievementId,
  checkInOpensMinutesBefore: exam.checkInOpensMinutesBefore,
  resultsOpenMinutesBefore: exam.resultsOpenMinutesBefore,
  archivedAt: iso(exam.archivedAt),
})
const roomJson = (room: Room) => ({ id: room.id, name: room.name, capacity: room.capacity, archivedAt: iso(room.archivedAt) })
const centreJson = (centre: TestCentre, rooms: Room[]) => ({
  id: centre.id,
  code: centre.code,
  name: centre.name,
  timeZone: centre.timeZone,
  archivedAt: iso(centre.archivedAt),
  rooms: rooms.map(roomJson),
})
const proctorJson = (proctor: Proctor) => ({
  id: proctor.id,
  name: proctor.name,
  email: proctor.email,
  memberId: proctor.memberId,
  portalProctorId: proctor.portalProctorId,
  archivedAt: iso(proctor.archivedAt),
})
const sessionJson = (session: ExamSessionRow): Static<typeof ExamSessionView> => ({
  id: session.id,
  status: session.status,
  startsAt: session.startsAt.toISOString(),
  endsAt: session.endsAt.toISOString(),
  timeZone: session.timeZone,
  seats: session.seats,
  cancellationReason: session.cancellationReason,
  examId: session.examId,
  examCode: session.examCode,
  examTitle: session.examTitle,
  centreId: session.centreId,
  centreCode: session.centreCode,
  centreName: session.centreName,
  roomId: session.roomId,
  roomName: session.roomName,
  roomCapacity: session.roomCapacity,
  proctorId: session.proctorId,
  proctorName: session.proctorName,
  portalSessionId: session.portalSessionId,
})
const registrationJson = (row: Registration): Static<typeof RegistrationView> => ({
  id: row.id,
  examSessionId: row.examSessionId,
  name: row.name,
  email: row.email,
  status: row.status,
  position: row.position,
  checkedInAt: iso(row.checkedInAt),
  score: row.score,
  passed: row.passed,
  resultRecordedAt: iso(row.resultRecordedAt),
  credentialId: row.credentialId,
  createdAt: row.createdAt.toISOString(),
})

export async function examApiRoutes(app: TypedApp): Promise<void> {
  const { platform } = app
  const base = '/api/v1/orgs/:orgId/exam-sessions'
  /** A staff member's scope: reads check the role here, as the pages do; writes also in their service. */
  const staffScope = (request: Parameters<typeof scopeOf>[0]) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    return scope
  }

  // Catalog

  app.get(
    '/api/v1/orgs/:orgId/exams',
    {
      config,
      schema: {
        tags: catalogTags,
        summary: 'Exams, by code (active ones unless archived=true)',
        params: OrgParams,
        querystring: CatalogApiQuery,
        response: { 200: ExamPage },
      },
    },
    async (request) => {
      const { query } = request
      const page = await listExams(platform.db, staffScope(request), { isArchived: query.archived === true, page: query.page })
      return { ...page, items: page.items.map(examJson) }
    },
  )

  app.get(
    '/api/v1/orgs/:orgId/testing-centres',
    {
      config,
      schema: {
        tags: catalogTags,
        summary: 'Testing centres with their rooms, by code (active ones unless archived=true)',
        params: OrgParams,
        querystring: CatalogApiQuery,
        response: { 200: CentrePage },
      },
    },
    async (request) => {
      const scope = staffScope(request)
      const { query } = request
      const page = await listCentres(platform.db, scope, { isArchived: query.archived === true, page: query.page })
      const centreRooms = await listRooms(
        platform.db,
        scope,
        page.items.map((centre) => centre.id),
      )
      return {
        ...page,
        items: page.items.map((centre) =>
          centreJson(
            centre,
            centreRooms.filter((room) => room.centreId === centre.id),
          ),
        ),
      }
    },
  )

  app.get(
    '/api/v1/orgs/:orgId/proctors',
    {
      config,
      schema: {
        tags: catalogTags,
        summary: 'Proctors, by name (active ones unless archived=true)',
        params: OrgParams,
        querystring: CatalogApiQuery,
        response: { 200: ProctorPage },
      },
    },
    async (request) => {
      const { query } = request
      const page = await listProctors(platform.db, staffScope(request), { isArchived: query.archived === true, page: query.page })
      return { ...page, items: page.items.map(proctorJson) }
    },
  )

  // Exam sessions

  app.get(
    base,
    {
      config,
      schema: {
        tags,
        summary: 'Exam sessions, filtered, sorted and paged (25 a page)',
        params: OrgParams,
        querystring: ExamSessionsApiQuery,
        response: { 200: ExamSessionPage },
      },
    },
    async (request) => {
      const { query } = request
      const page = await listExamSessions(platform.db, staffScope(request), {
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
        status: query.status,
        examId: query.examId || undefined,
        centreId: query.centreId || undefined,
        proctorId: query.proctorId || undefined,
        sort: query.sort,
        dir: query.dir,
        page: query.page,
      })
      return { ...page, items: page.items.map(sessionJson) }
    },
  )

  app.get(
    `${base}/:examSessionId`,
    { config, schema: { tags, summary: 'One exam session', params: ExamSessionParams, response: { 200: ExamSessionView } } },
    async (request) => sessionJson(await getExamSessionView(platform.db, staffScope(request), request.params.examSessionId)),
  )

  app.post(
    base,
    {
      config,
      schema: {
        tags,
        summary: 'Schedule an exam session (checked against every scheduling rule)',
        params: OrgParams,
        body: ExamSessionApiBody,
        response: { 201: ExamSessionView },
      },
    },
    async (request, reply) => {
      const scope = scopeOf(request)
      const planned = planFromLocalTimes(await loadCatalog(platform.db, scope), request.body)
      const session = await createExamSession(platform, scope, planned)
      return reply.status(201).send(sessionJson(await getExamSessionView(platform.db, scope, session.id)))
    },
  )

  app.post(
    `${base}/:examSessionId/reschedule`,
    {
      config,
      schema: {
        tags,
        summary: 'Move an exam session (time, room, proctor, seats); it needs confirming again',
        params: ExamSessionParams,
        body: RescheduleApiBody,
        response: { 200: ExamSessionView },
      },
    },
    async (request) => {
      const scope = scopeOf(request)
      const examSessionId = request.params.examSessionId
      const current = await getExamSession(platform.db, scope, examSessionId)
      const { body } = request
      const { examId: _examId, ...planned } = planFromLocalTimes(await loadCatalog(platform.db, scope), { ...body, examId: current.examId })
      await rescheduleExamSession(platform, scope, examSessionId, planned)
      return sessionJson(await getExamSessionView(platform.db, scope, examSessionId))
    },
  )

  const viewsOf = async (scope: { orgId: string }, ids: string[]) => {
    const items = []
    for (const id of ids) items.push(sessionJson(await getExamSessionView(platform.db, scope, id)))
    return { items }
  }

  app.post(
    `${base}/confirm`,
    {
      config,
      schema: {
        tags,
        summary: 'Confirm scheduled exam sessions (all or none)',
        params: OrgParams,
        body: ExamSessionIdsBody,
        response: { 200: ExamSessionList },
      },
    },
    async (request) => {
      const scope = scopeOf(request)
      const changed = await confirmExamSessions(platform, scope, request.body.ids)
      return viewsOf(
        scope,
        changed.map((session) => session.id),
      )
    },
  )

  app.post(
    `${base}/cancel`,
    {
      config,
      schema: {
        tags,
        summary: 'Cancel exam sessions (all or none); every registered candidate is emailed the reason',
        params: OrgParams,
        body: CancelApiBody,
        response: { 200: ExamSessionList },
      },
    },
    async (request) => {
      const scope = scopeOf(request)
      const { body } = request
      const changed = await cancelExamSessions(platform, scope, body.ids, body.reason)
      return viewsOf(
        scope,
        changed.map((session) => session.id),
      )
    },
  )

  // Candidates and results

  app.get(
    `${base}/:examSessionId/registrations`,
    {
      config,
      schema: {
        tags,
        summary: 'The exam session’s candidates: seated first, then the waitlist',
        params: ExamSessionParams,
        response: { 200: RegistrationList },
      },
    },
    async (request) => {
      const scope = staffScope(request)
      const examSessionId = request.params.examSessionId
      await getExamSession(platform.db, scope, examSessionId)
      return { items: (await listRegistrations(platform.db, scope, examSessionId)).map(registrationJson) }
    },
  )

  app.post(
    `${base}/:examSessionId/registrations`,
    {
      config,
      schema: {
        tags,
        summary: 'Register a candidate: seated while seats are free, then waitlisted',
        params: ExamSessionParams,
        body: CandidateFields,
        response: { 201: RegistrationView },
      },
    },
    async (request, reply) => {
      const row = await registerCandidate(platform, scopeOf(request), request.params.examSessionId, request.body)
      return reply.status(201).send(registrationJson(row))
    },
  )

  app.post(
    `${base}/:examSessionId/results`,
    {
      config,
      schema: {
        tags,
        summary: 'Record scores of seated candidates (all or none); a pass issues the exam’s credential once',
        params: ExamSessionParams,
        body: ResultsApiBody,
        response: { 200: ResultsOutcome },
      },
    },
    async (request) => recordResults(platform, scopeOf(request), request.params.examSessionId, request.body.results),
  )
}
