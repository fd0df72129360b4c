import { Type } from 'typebox'
import type { TypedApp } from '../../../platform/feature.ts'
import { requirePlatformAdmin, signedInAuth } from '../../../platform/http/auth.ts'
import { API_RATE_LIMIT } from '../../../platform/http/server.tsx'
import { scopeOf } from '../../orgs/service.ts'
import { getOrgRetention, getRetentionOverview, runRetentionNow, saveOrgRetentionPeriods } from './service.ts'

const tags = ['Privacy']
const config = { rateLimit: API_RATE_LIMIT }
const OrgParams = Type.Object({ orgId: Type.String({ maxLength: 64 }) })
const Bounds = Type.Union([Type.Object({ min: Type.Integer(), max: Type.Integer() }), Type.Null()])
const Instant = Type.Unsafe<Date | string>(Type.String({ format: 'date-time' }))
const RuleCount = Type.Object({ key: Type.String(), count: Type.Integer() })
const RuleView = Type.Object({
  key: Type.String({ description: 'Stable name of the rule, e.g. `audit.request-entries`' }),
  provider: Type.String(),
  table: Type.String(),
  action: Type.String({ description: 'anonymise, aggregate, delete, erase or disable' }),
  what: Type.String(),
  from: Type.String({ description: 'What the period counts from' }),
  period: Type.String({ examples: ['90 days'] }),
  boundsDays: Bounds,
})
const Overview = Type.Object({
  rules: Type.Array(Type.Object({ ...RuleView.properties, wouldRemove: Type.Integer({ description: 'What a run now would remove (a dry run)' }) })),
  runs: Type.Array(Type.Object({ id: Type.String(), trigger: Type.String(), ranAt: Instant, counts: Type.Array(RuleCount) })),
})
const OrgRules = Type.Array(
  Type.Object({ ...RuleView.properties, chosenDays: Type.Union([Type.Integer(), Type.Null()], { description: 'The org’s period in days; null: the rule’s' }) }),
)
const PeriodsBody = Type.Object({
  retentionDays: Type.Record(Type.String({ maxLength: 100 }), Type.Integer(), {
    description: 'Days by rule key, within each rule’s bounds; a rule left out uses its own period',
  }),
})

export async function retentionRoutes(app: TypedApp): Promise<void> {
  const { platform } = app

  app.get(
    '/api/v1/admin/retention',
    {
      preHandler: requirePlatformAdmin,
      config,
      schema: { tags, summary: 'Retention rules, what a run now would remove, and the last runs (platform admins)', response: { 200: Overview } },
    },
    () => getRetentionOverview(platform),
  )

  app.post(
    '/api/v1/admin/retention/runs',
    {
      preHandler: requirePlatformAdmin,
      config,
      schema: {
        tags,
        summary: 'Apply every retention rule now (platform admins); audited',
        response: { 201: Type.Object({ ranAt: Instant, counts: Type.Array(RuleCount) }) },
      },
    },
    async (request, reply) => reply.status(201).send(await runRetentionNow(platform, signedInAuth(request).accountId)),
  )

  app.get(
    '/api/v1/orgs/:orgId/privacy/retention',
    { config, schema: { tags, summary: 'The organisation’s retention rules and chosen periods (admins)', params: OrgParams, response: { 200: OrgRules } } },
    (request) => getOrgRetention(platform, scopeOf(request)),
  )

  app.put(
    '/api/v1/orgs/:orgId/privacy/retention',
    {
      config,
      schema: {
        tags,
        summary: 'Choose retention periods within each rule’s bounds (admins)',
        params: OrgParams,
        body: PeriodsBody,
        response: { 200: OrgRules },
      },
    },
    (request) => saveOrgRetentionPeriods(platform, scopeOf(request), request.body.retentionDays),
  )
}
