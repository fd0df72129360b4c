import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { InvalidError } from '../../../platform/errors.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import { requirePlatformAdmin, signedInAuth } from '../../../platform/http/auth.ts'
import { CsrfField, EmptyState, FormErrorSummary, type FormState, TableHead } from '../../../platform/ui/components.tsx'
import { scopeOf } from '../../orgs/service.ts'
import { getOrgRetention, getRetentionOverview, runRetentionNow, saveOrgRetentionPeriods } from './service.ts'

const OrgParams = Type.Object({ orgId: Type.String({ maxLength: 64 }) })
const formatDateTime = (date: Date) => date.toISOString().replace('T', ' ').slice(0, 16)

/** Reads `days.<rule key>` fields; an empty field means the rule's own period. */
function chosenDaysFrom(body: unknown): { chosen: Record<string, number>; values: Record<string, string> } {
  const chosen: Record<string, number> = {}
  const values: Record<string, string> = {}
  for (const [field, value] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (!field.startsWith('days.') || typeof value !== 'string') continue
    const key = field.slice('days.'.length)
    values[key] = value
    if (value.trim() !== '') chosen[key] = Number(value.trim())
  }
  return { chosen, values }
}

export async function retentionPages(app: TypedApp): Promise<void> {
  const { platform } = app

  app.get('/admin/retention', { preHandler: requirePlatformAdmin }, async (_request, reply) => {
    const { rules, runs } = await getRetentionOverview(platform)
    const total = rules.reduce((sum, rule) => sum + rule.wouldRemove, 0)
    return reply.page(
      'Retention',
      <>
        <h1>Retention</h1>
        <p>Every provider’s declared retention, as the rules the daily run applies. A run now would remove:</p>
        <table>
          <TableHead columns={['Rule', 'What', 'Period', 'A run now would remove']} />
          <tbody>
            {rules.map((rule) => (
              <tr data-rule={rule.key}>
                <td>
                  <code safe>{rule.key}</code>
                </td>
                <td safe>{rule.what}</td>
                <td
                  safe
                >{`${rule.period} after ${rule.from}${rule.boundsDays ? ` (orgs may choose ${rule.boundsDays.min}–${rule.boundsDays.max} days)` : ''}`}</td>
                <td class="would-remove" safe>
                  {String(rule.wouldRemove)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <form
          method="post"
          action="/admin/retention/run"
          data-confirm={`Apply every retention rule now? ${total} rows would be removed or changed; this cannot be undone.`}
        >
          <CsrfField token={reply.csrfToken()} />
          <button type="submit">Run now</button>
        </form>
        <h2>Last runs</h2>
        {runs.length === 0 ? (
          <EmptyState>Retention has not run yet. It runs daily in the worker, or now with the button above.</EmptyState>
        ) : (
          <table>
            <TableHead columns={['When', 'Started by', 'Removed']} />
            <tbody>
              {runs.map((run) => (
                <tr>
                  <td safe>{formatDateTime(run.ranAt)}</td>
                  <td>{run.trigger}</td>
                  <td safe>
                    {run.counts
                      .filter(({ count }) => count > 0)
                      .map(({ key, count }) => `${key}: ${count}`)
                      .join(', ') || 'nothing'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </>,
    )
  })

  app.post('/admin/retention/run', { preHandler: requirePlatformAdmin }, async (request, reply) => {
    const { counts } = await runRetentionNow(platform, signedInAuth(request).accountId)
    reply.flash('success', `Retention ran: ${counts.reduce((sum, { count }) => sum + count, 0)} rows removed or changed.`)
    return reply.redirect('/admin/retention')
  })

  const orgRetentionPage = async (reply: FastifyReply, orgId: string, rules: Awaited<ReturnType<typeof getOrgRetention>>, state: FormState = {}) =>
    reply.page(
      'Retention periods',
      <>
        <h1>Retention periods</h1>
        <p>What Laurel removes from your organisation’s data, and when. Where a rule allows it, choose another period within its bounds.</p>
        <FormErrorSummary state={state} />
        <form method="post" action={`/orgs/${orgId}/privacy/retention`}>
          <CsrfField token={reply.csrfToken()} />
          <table>
            <TableHead columns={['What', 'Period', 'Your period (days)']} />
            <tbody>
              {rules.map((rule) => (
                <tr data-rule={rule.key}>
                  <td safe>{rule.what}</td>
                  <td safe>{`${rule.period} after ${rule.from}`}</td>
                  <td>
                    {rule.boundsDays ? (
                      <>
                        <input
                          type="number"
                          name={`days.${rule.key}`}
                          min={String(rule.boundsDays.min)}
                          max={String(rule.boundsDays.max)}
                          value={state.values?.[rule.key] ?? (rule.chosenDays === null ? '' : String(rule.chosenDays))}
                          placeholder="The rule’s period"
                          aria-label={`Days for ${rule.what}`}
                          aria-invalid={state.errors?.[rule.key] ? 'true' : undefined}
                        />
                        <small safe>{state.errors?.[rule.key] ?? `${rule.boundsDays.min} to ${rule.boundsDays.max} days`}</small>
                      </>
                    ) : (
                      'Fixed'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="submit">Save periods</button>
        </form>
      </>,
    )

  app.get('/orgs/:orgId/privacy/retention', { schema: { params: OrgParams } }, async (request, reply) =>
    orgRetentionPage(reply, request.params.orgId, await getOrgRetention(platform, scopeOf(request))),
  )

  app.post('/orgs/:orgId/privacy/retention', { schema: { params: OrgParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    const { chosen, values } = chosenDaysFrom(request.body)
    try {
      await saveOrgRetentionPeriods(platform, scope, chosen)
    } catch (error) {
      if (!(error instanceof InvalidError)) throw error
      return orgRetentionPage(reply.status(422), scope.orgId, await getOrgRetention(platform, scope), { values, errors: error.fields })
    }
    reply.flash('success', 'Retention periods saved.')
    return reply.redirect(`/orgs/${scope.orgId}/privacy/retention`)
  })
}
