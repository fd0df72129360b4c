import type { Static } from 'typebox'
import { sendCsv } from '../../../platform/csv.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import { EmptyState, Pagination, TableHead } from '../../../platform/ui/components.tsx'
import { ActivityQuery, OrgParams } from '../contract.ts'
import { requireRole, scopeOf } from '../service.ts'
import { formatDateTime, Sentence } from './activity-view.tsx'
import { AUDIT_ACTIONS } from './sentences.ts'
import { type ActivityFilters, exportActivityCsv, listActivity } from './service.ts'

type Query = Static<typeof ActivityQuery>

const ACTION_GROUPS = [
  { prefix: 'orgs.', label: 'Organisation and members' },
  { prefix: 'credentials.', label: 'Credentials' },
  { prefix: 'exams.', label: 'Exams' },
  { prefix: 'privacy.', label: 'Privacy' },
  { prefix: 'identity.', label: 'Accounts and API keys' },
  { prefix: 'http.', label: 'Requests' },
].map((group) => ({
  ...group,
  actions: Object.entries(AUDIT_ACTIONS)
    .filter(([action]) => action.startsWith(group.prefix))
    .map(([action, { label }]) => ({ action, label }))
    .sort((a, b) => a.label.localeCompare(b.label)),
}))

/** The filters as the service takes them, or the problem with them; `to` is inclusive on the page. */
function filtersOf(query: Query): { filters: ActivityFilters; problem?: string } {
  const from = query.from ? new Date(`${query.from}T00:00:00Z`) : undefined
  const to = query.to ? new Date(`${query.to}T00:00:00Z`) : undefined
  if (to) to.setUTCDate(to.getUTCDate() + 1)
  const filters = { person: query.person || undefined, action: query.action || undefined, from, to, page: query.page }
  if (from && to && from >= to) return { filters, problem: 'The “from” date is after the “to” date: swap them to see entries.' }
  return { filters }
}

const queryString = (query: Query, extra: Record<string, string> = {}) =>
  new URLSearchParams({ person: query.person ?? '', action: query.action ?? '', from: query.from ?? '', to: query.to ?? '', ...extra }).toString()

export async function auditPages(app: TypedApp): Promise<void> {
  const { platform } = app

  app.get('/orgs/:orgId/audit', { schema: { params: OrgParams, querystring: ActivityQuery } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'admin')
    const { query } = request
    const { filters, problem } = filtersOf(query)
    const page = problem ? undefined : await listActivity(platform.db, scope, filters)
    const base = `/orgs/${scope.orgId}/audit`
    return reply.status(problem ? 422 : 200).page(
      'Audit log',
      <>
        <h1>Audit log</h1>
        <p>Every administrative action and request in this organisation, in a tamper-evident chain.</p>
        <form method="get" action={base} class="filters">
          <input type="search" name="person" placeholder="Person: name or email" value={query.person ?? ''} aria-label="Person (name or email)" />
          <select name="action" aria-label="Action">
            <option value="">All actions</option>
            {ACTION_GROUPS.map((group) => (
              <optgroup label={group.label}>
                {group.actions.map((option) => (
                  <option value={option.action} selected={query.action === option.action} safe>
                    {option.label}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
          <label>
            From <input type="date" name="from" value={query.from ?? ''} />
          </label>
          <label>
            To <input type="date" name="to" value={query.to ?? ''} />
          </label>
          <button type="submit">Filter</button>
          <a href={`${base}/export.csv?${queryString(query)}`} role="button" class="secondary outline">
            Download CSV
          </a>
        </form>
        {problem ? (
          <p class="flash flash-error" role="alert" safe>
            {problem}
          </p>
        ) : !page || page.items.length === 0 ? (
          <EmptyState action={{ href: base, label: 'Clear the filters' }}>No entries match these filters.</EmptyState>
        ) : (
          <>
            <p class="visually-hidden" safe>{`${page.total} entries`}</p>
            <table class="audit-log">
              <TableHead columns={['When (UTC)', 'What happened']} />
              <tbody>
                {page.items.map((line) => (
                  <tr data-entry={line.id} data-action={line.action}>
                    <td>
                      <time datetime={line.recordedAt.toISOString()} safe>
                        {formatDateTime(line.recordedAt)}
                      </time>
                    </td>
                    <td>
                      <Sentence segments={line.sentence} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pagination page={page.page} pageCount={page.pageCount} href={(number) => `${base}?${queryString(query, { page: String(number) })}`} />
          </>
        )}
      </>,
      { orgId: scope.orgId },
    )
  })

  app.get('/orgs/:orgId/audit/export.csv', { schema: { params: OrgParams, querystring: ActivityQuery } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'admin')
    const { filters } = filtersOf(request.query)
    const rows = await exportActivityCsv(platform, scope, filters)
    return sendCsv(reply, `audit-${platform.clock.now().toISOString().slice(0, 10)}.csv`, rows)
  })
}
