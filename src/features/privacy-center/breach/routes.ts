import { Type } from 'typebox'
import { sendCsv } from '../../../platform/csv.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import { API_RATE_LIMIT } from '../../../platform/http/server.tsx'
import { scopeOf } from '../../orgs/service.ts'
import {
  AffectedPersonView,
  AffectedQueryBody,
  IncidentBody,
  IncidentParams,
  IncidentSummaryView,
  IncidentView,
  JobStarted,
  OrgParams,
  PersonView,
} from './contract.ts'
import { incidentReportPdf, regulatorCsvRows } from './exports.ts'
import {
  getIncident,
  type Incident,
  type IncidentSummary,
  listAffectedPeople,
  listIncidents,
  previewAffectedPeople,
  recordIncident,
  regulatorDeadline,
  saveAffectedPeople,
  sendBreachLetters,
} from './service.ts'

const tags = ['Breach register']
const config = { rateLimit: API_RATE_LIMIT }
const optionalDate = (text: string | undefined) => (text ? new Date(text) : undefined)

/** The breach register's JSON API and its regulator exports (CSV, PDF), which the pages link to. */
export async function breachRoutes(app: TypedApp): Promise<void> {
  const { platform } = app
  const withDeadline = <T extends Pick<Incident | IncidentSummary, 'discoveredAt' | 'regulatorNotifiedAt'>>(row: T) => ({
    ...row,
    regulatorDeadline: regulatorDeadline(row, platform.clock.now()),
  })

  app.get(
    '/api/v1/orgs/:orgId/breaches',
    { config, schema: { tags, summary: 'The breach register (staff)', params: OrgParams, response: { 200: Type.Array(IncidentSummaryView) } } },
    async (request) => (await listIncidents(platform.db, scopeOf(request))).map(withDeadline),
  )

  app.post(
    '/api/v1/orgs/:orgId/breaches',
    { config, schema: { tags, summary: 'Record a breach incident (admins)', params: OrgParams, body: IncidentBody, response: { 201: IncidentView } } },
    async (request, reply) => {
      const { occurredAt, discoveredAt, ...rest } = request.body
      const incident = await recordIncident(platform, scopeOf(request), {
        ...rest,
        occurredAt: optionalDate(occurredAt),
        discoveredAt: optionalDate(discoveredAt),
      })
      return reply.status(201).send(withDeadline(incident))
    },
  )

  app.get(
    '/api/v1/orgs/:orgId/breaches/:incidentId',
    { config, schema: { tags, summary: 'One incident with its regulator deadline (staff)', params: IncidentParams, response: { 200: IncidentView } } },
    async (request) => withDeadline(await getIncident(platform.db, scopeOf(request), request.params.incidentId)),
  )

  app.get(
    '/api/v1/orgs/:orgId/breaches/:incidentId/affected-people',
    {
      config,
      schema: {
        tags,
        summary: "The incident's affected people and their letters' delivery (staff)",
        params: IncidentParams,
        response: { 200: Type.Array(AffectedPersonView) },
      },
    },
    async (request) => listAffectedPeople(platform.db, scopeOf(request), request.params.incidentId),
  )

  app.post(
    '/api/v1/orgs/:orgId/breaches/:incidentId/affected-people/preview',
    {
      config,
      schema: {
        tags,
        summary: 'Find who holds data of the chosen kinds, each person once, without saving (staff)',
        params: IncidentParams,
        body: AffectedQueryBody,
        response: { 200: Type.Array(PersonView) },
      },
    },
    async (request) =>
      previewAffectedPeople(platform, scopeOf(request), request.params.incidentId, {
        dataCategories: request.body.dataCategories,
        from: optionalDate(request.body.from),
        to: optionalDate(request.body.to),
      }),
  )

  app.post(
    '/api/v1/orgs/:orgId/breaches/:incidentId/affected-people',
    {
      config,
      schema: {
        tags,
        summary: 'Add the people the query finds to the incident (admins)',
        params: IncidentParams,
        body: AffectedQueryBody,
        response: { 200: Type.Object({ added: Type.Integer() }) },
      },
    },
    async (request) => ({
      added: await saveAffectedPeople(platform, scopeOf(request), request.params.incidentId, {
        dataCategories: request.body.dataCategories,
        from: optionalDate(request.body.from),
        to: optionalDate(request.body.to),
      }),
    }),
  )

  app.post(
    '/api/v1/orgs/:orgId/breaches/:incidentId/letters',
    {
      config,
      schema: { tags, summary: 'Email the letter to every affected person without one (admins)', params: IncidentParams, response: { 202: JobStarted } },
    },
    async (request, reply) => reply.status(202).send({ jobId: await sendBreachLetters(platform, scopeOf(request), request.params.incidentId) }),
  )

  app.get(
    '/orgs/:orgId/privacy/breaches/:incidentId/regulator.csv',
    { schema: { tags, summary: 'The affected people, each once, with letter status, as CSV for the regulator (staff)', params: IncidentParams } },
    async (request, reply) =>
      sendCsv(reply, `breach-${request.params.incidentId}.csv`, await regulatorCsvRows(platform, scopeOf(request), request.params.incidentId)),
  )

  app.get(
    '/orgs/:orgId/privacy/breaches/:incidentId/report.pdf',
    { schema: { tags, summary: 'The incident report as PDF for the regulator (staff)', params: IncidentParams } },
    async (request, reply) => {
      const bytes = await incidentReportPdf(platform, scopeOf(request), request.params.incidentId)
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="breach-${request.params.incidentId}.pdf"`)
        .send(Buffer.from(bytes))
    },
  )
}
