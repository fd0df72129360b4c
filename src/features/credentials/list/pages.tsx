import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { sendCsv } from '../../../platform/csv.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import { parseForm } from '../../../platform/http/forms.ts'
import type { MailStatus } from '../../../platform/mail/schema.ts'
import {
  CsrfField,
  EmptyState,
  Field,
  FormErrorSummary,
  type FormState,
  listHref,
  listQuery,
  Pagination,
  type SortableColumn,
  SortableHeaderCell,
  SortFields,
  type SortState,
} from '../../../platform/ui/components.tsx'
import { hasRole, type OrgScope, requireRole, scopeOf } from '../../orgs/service.ts'
import { listAchievements } from '../achievements.ts'
import { BulkActionForm, BulkRevokeForm, CredentialsQuery } from '../contract.ts'
import { type BulkResend, DELIVERY_STATES, type ResendSkipReason, resendDeliveries } from '../delivery/delivery.ts'
import { DeliveryBadge } from '../delivery/pages.tsx'
import { CREDENTIAL_SORT, CREDENTIAL_STATUSES, type CredentialFilters, type CredentialStatus, getCredentials, listCredentials } from '../queries.ts'
import { revokeCredentials } from '../status.ts'
import { StatusBadge } from '../status-badge.tsx'
import { publicUrls } from '../urls.ts'

type CredentialsQueryValues = { search?: string; achievementId?: string; status?: CredentialStatus | ''; delivery?: MailStatus | '' }
type CredentialItem = Awaited<ReturnType<typeof listCredentials>>['items'][number]

const filtersOf = (query: CredentialsQueryValues): CredentialFilters => ({
  search: query.search,
  achievementId: query.achievementId,
  status: query.status || undefined,
  delivery: query.delivery || undefined,
})
const formatDate = (date: Date | null) => (date ? date.toISOString().slice(0, 10) : '—')
const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`

const ListQuery = Type.Object({ ...CredentialsQuery.properties, select: Type.Optional(Type.Literal('all')) })

const COLUMNS: SortableColumn[] = [
  { label: 'Recipient', sortKey: 'recipient' },
  { label: 'Achievement', sortKey: 'achievement' },
  { label: 'Issued', sortKey: 'issued', firstDirection: 'desc' },
  { label: 'Expires', sortKey: 'expires' },
  { label: 'Status' },
  { label: 'Email', sortKey: 'email' },
]

const CSV_HEADER = ['id', 'url', 'recipient_name', 'recipient_email', 'achievement', 'valid_from', 'valid_until', 'status', 'revocation_reason', 'email_state']

const RESEND_SKIP_LABELS: Record<ResendSkipReason, string> = {
  credential_revoked: 'revoked',
  no_recipient_email: 'without an email address',
  delivery_in_progress: 'still being sent',
  not_emailed: 'unsubscribed or a correction',
}

/** "3 emails resent; not sent: 1 revoked, 2 still being sent." */
function describeResend({ resent, skipped }: BulkResend): string {
  const notSent = (Object.keys(RESEND_SKIP_LABELS) as ResendSkipReason[])
    .filter((reason) => skipped[reason])
    .map((reason) => `${skipped[reason]} ${RESEND_SKIP_LABELS[reason]}`)
  return `${plural(resent, 'email')} resent${notSent.length > 0 ? `; not sent: ${notSent.join(', ')}` : ''}.`
}

/** The list's query string as the bulk forms carried it back, re-encoded so that it can only ever be a query. */
const listUrl = (orgId: string, back: string | undefined) => {
  const query = new URLSearchParams(back ?? '').toString()
  return `/orgs/${orgId}/credentials${query ? `?${query}` : ''}`
}

/** The ticked boxes: one arrives as a string, several as a list. */
const withSelection = (body: unknown) => {
  const fields = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const selected = fields.credentialId
  return { ...fields, credentialId: selected === undefined ? [] : [selected].flat() }
}

export async function credentialListPages(app: TypedApp): Promise<void> {
  const { platform } = app
  const urls = publicUrls(platform.config)

  const csvRow = (item: CredentialItem) => [
    item.id,
    urls.credential(item.id),
    item.recipientName,
    item.recipientEmail ?? '',
    item.achievementName ?? '',
    item.validFrom.toISOString(),
    item.validUntil?.toISOString() ?? '',
    item.status,
    item.revocationReason ?? '',
    item.deliveryState ?? '',
  ]

  const sendCredentialsCsv = async (reply: FastifyReply, scope: OrgScope, items: CredentialItem[], auditData: Record<string, unknown>) => {
    const now = platform.clock.now()
    await platform.audit.recordIn(platform.db, {
      action: 'credentials.exported',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      data: { rows: items.length, ...auditData },
    })
    return sendCsv(reply, `credentials-${now.toISOString().slice(0, 10)}.csv`, [CSV_HEADER, ...items.map(csvRow)])
  }

  app.get('/orgs/:orgId/credentials', { schema: { querystring: ListQuery } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const { query } = request
    const [page, achievementPage] = await Promise.all([
      listCredentials(platform.db, scope, { ...filtersOf(query), page: query.page }, platform.clock.now(), query),
      listAchievements(platform.db, scope, { page: 1 }),
    ])
    const base = `/orgs/${scope.orgId}/credentials`
    const filters = { search: query.search, achievementId: query.achievementId, status: query.status, delivery: query.delivery }
    const isDefaultSort = page.sort.key === CREDENTIAL_SORT.defaultSort.key && page.sort.direction === CREDENTIAL_SORT.defaultSort.direction
    const order = isDefaultSort ? {} : { sort: page.sort.key, dir: page.sort.direction }
    const sortHref = (sort: SortState) => listHref(base, { ...filters, sort: sort.key, dir: sort.direction })
    const pageHref = (pageNumber: number) => listHref(base, { ...filters, ...order, page: pageNumber })
    const currentQuery = listQuery({ ...filters, ...order, page: page.page > 1 ? page.page : undefined })
    const csrf = reply.csrfToken()
    return reply.page(
      'Credentials',
      <>
        <h1>Credentials</h1>
        <p>
          <a href={`${base}/issue`} role="button">
            Issue a credential
          </a>{' '}
          <a href={`${base}/bulk`} role="button" class="secondary">
            Issue from a CSV file
          </a>{' '}
          <a href={listHref(`${base}/export.csv`, { ...filters, ...order })} role="button" class="secondary outline">
            Export CSV
          </a>{' '}
          {hasRole(scope.role, 'admin') ? (
            <a href={`${base}/email`} role="button" class="secondary outline">
              Email to recipients
            </a>
          ) : (
            ''
          )}
          {hasRole(scope.role, 'admin') ? <a href={`${base}/disclosure`}>What public pages show</a> : ''}
        </p>
        <form method="get" action={base} class="filters">
          <input type="search" name="search" placeholder="Name, email or credential ID" value={query.search ?? ''} aria-label="Search credentials" />
          <select name="achievementId" aria-label="Achievement">
            <option value="">All achievements</option>
            {achievementPage.items.map((achievement) => (
              <option value={achievement.id} selected={achievement.id === query.achievementId} safe>
                {achievement.name}
              </option>
            ))}
          </select>
          <select name="status" aria-label="Status">
            <option value="">Any status</option>
            {CREDENTIAL_STATUSES.map((status) => (
              <option value={status} selected={status === query.status}>
                {status === 'not_yet_valid' ? 'not yet valid' : status}
              </option>
            ))}
          </select>
          <select name="delivery" aria-label="Email">
            <option value="">Any email state</option>
            {DELIVERY_STATES.map((state) => (
              <option value={state} selected={state === query.delivery} safe>
                {`email ${state}`}
              </option>
            ))}
          </select>
          <SortFields sort={order.sort} dir={order.dir} />
          <button type="submit">Filter</button>
        </form>
        <p safe>{plural(page.total, 'credential')}</p>
        {query.delivery === 'failed' && page.total > 0 ? (
          <form method="post" action={`${base}/resend-failed`} data-confirm="Send every failed email again?">
            <CsrfField token={csrf} />
            <button type="submit" class="secondary">
              Resend all failed emails
            </button>
          </form>
        ) : (
          ''
        )}
        {page.items.length === 0 ? (
          Object.values(filters).some(Boolean) ? (
            <EmptyState action={{ href: base, label: 'Clear the filters' }}>No credentials match these filters.</EmptyState>
          ) : achievementPage.total === 0 ? (
            <EmptyState action={{ href: `/orgs/${scope.orgId}/achievements/new`, label: 'Create an achievement' }}>
              No credentials yet. Credentials are issued from an achievement: create one first.
            </EmptyState>
          ) : (
            <EmptyState action={{ href: `${base}/issue`, label: 'Issue a credential' }}>
              No credentials yet: issue one, or many at once from a CSV file.
            </EmptyState>
          )
        ) : (
          <form method="post" action={`${base}/selected`} class="bulk-selection">
            <CsrfField token={csrf} />
            <input type="hidden" name="back" value={currentQuery} />
            <fieldset class="bulk-actions">
              <legend>With the ticked credentials</legend>
              <button type="submit" name="action" value="export" class="secondary outline">
                Export CSV
              </button>{' '}
              <button type="submit" name="action" value="resend" class="secondary">
                Resend email
              </button>{' '}
              <button type="submit" name="action" value="revoke" class="contrast">
                Revoke…
              </button>{' '}
              <a href={listHref(base, { ...filters, ...order, page: page.page > 1 ? page.page : undefined, select: 'all' })}>Select all on this page</a>
            </fieldset>
            <table>
              <thead>
                <tr>
                  <th scope="col">
                    <input type="checkbox" data-select-all="credentialId" aria-label="Select all on this page" checked={query.select === 'all'} />
                  </th>
                  {COLUMNS.map((column) => (
                    <SortableHeaderCell column={column} sort={page.sort} href={sortHref} />
                  ))}
                </tr>
              </thead>
              <tbody>
                {page.items.map((item) => (
                  <tr>
                    <td>
                      <input
                        type="checkbox"
                        name="credentialId"
                        value={item.id}
                        checked={query.select === 'all'}
                        aria-label={`Select ${item.recipientName || item.id}`}
                      />
                    </td>
                    <td>
                      <a href={`${base}/${item.id}`} safe>
                        {item.recipientName || item.id}
                      </a>
                      <br />
                      <small safe>{item.recipientEmail ?? ''}</small>
                    </td>
                    <td safe>{item.achievementName ?? '—'}</td>
                    <td safe>{formatDate(item.validFrom)}</td>
                    <td safe>{formatDate(item.validUntil)}</td>
                    <td>
                      <StatusBadge status={item.status} />
                    </td>
                    <td>
                      <DeliveryBadge state={item.deliveryState} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </form>
        )}
        <Pagination page={page.page} pageCount={page.pageCount} href={pageHref} />
      </>,
      { orgId: scope.orgId },
    )
  })

  app.get('/orgs/:orgId/credentials/export.csv', { schema: { querystring: CredentialsQuery } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const { query } = request
    const now = platform.clock.now()
    const items: CredentialItem[] = []
    for (let pageNumber = 1; ; pageNumber++) {
      const page = await listCredentials(platform.db, scope, { ...filtersOf(query), page: pageNumber, pageSize: 1000 }, now, query)
      items.push(...page.items)
      if (pageNumber >= page.pageCount) break
    }
    return sendCredentialsCsv(reply, scope, items, {})
  })

  const revokeConfirmation = async (request: FastifyRequest, reply: FastifyReply, credentialIds: string[], back: string | undefined, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const selected = await getCredentials(platform.db, scope, credentialIds)
    const alreadyRevoked = selected.filter((credential) => credential.revokedAt).length
    const toRevoke = selected.length - alreadyRevoked
    return reply.page(
      'Revoke credentials',
      <article>
        <h1 safe>{`Revoke ${plural(toRevoke, 'credential')}?`}</h1>
        <p>Permanent: verifiers will see them as revoked, with your reason.</p>
        {alreadyRevoked > 0 ? <p safe>{`${plural(alreadyRevoked, 'of them is', 'of them are')} already revoked and will stay as it is.`}</p> : ''}
        <details>
          <summary safe>{`The ${plural(selected.length, 'ticked credential')}`}</summary>
          <ul>
            {selected.map((credential) => (
              <li safe>{`${credential.recipientName || credential.id}${credential.revokedAt ? ' (already revoked)' : ''}`}</li>
            ))}
          </ul>
        </details>
        <FormErrorSummary state={state} />
        <form method="post" action={`/orgs/${scope.orgId}/credentials/selected/revoke`}>
          <CsrfField token={reply.csrfToken()} />
          <input type="hidden" name="back" value={new URLSearchParams(back ?? '').toString()} />
          {selected.map((credential) => (
            <input type="hidden" name="credentialId" value={credential.id} />
          ))}
          <Field name="reason" label="Reason" state={state} required hint="Shown to verifiers on each credential." />
          <button type="submit" class="contrast" disabled={toRevoke === 0} safe>
            {`Revoke ${plural(toRevoke, 'credential')}`}
          </button>{' '}
          <a href={listUrl(scope.orgId, back)}>Cancel</a>
        </form>
      </article>,
      { orgId: scope.orgId },
    )
  }

  app.post('/orgs/:orgId/credentials/selected', async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const form = parseForm(BulkActionForm, withSelection(request.body))
    if (!form.ok) {
      reply.flash('error', Object.values(form.errors).join(' '))
      return reply.redirect(listUrl(scope.orgId, form.values.back))
    }
    const { action, credentialId: credentialIds, back } = form.value
    switch (action) {
      case 'revoke':
        return revokeConfirmation(request, reply, credentialIds, back)
      case 'resend': {
        const outcome = await resendDeliveries(platform, scope, credentialIds)
        reply.flash(outcome.resent > 0 ? 'success' : 'error', describeResend(outcome))
        return reply.redirect(listUrl(scope.orgId, back))
      }
      case 'export': {
        await getCredentials(platform.db, scope, credentialIds)
        const { items } = await listCredentials(platform.db, scope, { ids: credentialIds, pageSize: credentialIds.length }, platform.clock.now())
        return sendCredentialsCsv(reply, scope, items, { selected: true })
      }
      default: {
        const unreachable: never = action
        throw new Error(`Unknown bulk action ${unreachable}`)
      }
    }
  })

  app.post('/orgs/:orgId/credentials/selected/revoke', async (request, reply) => {
    const scope = scopeOf(request)
    const form = parseForm(BulkRevokeForm, withSelection(request.body))
    if (!form.ok) {
      if (form.errors.credentialId) {
        reply.flash('error', form.errors.credentialId)
        return reply.redirect(listUrl(scope.orgId, form.values.back))
      }
      const credentialIds = withSelection(request.body).credentialId.map(String)
      return revokeConfirmation(request, reply.status(422), credentialIds, form.values.back, form)
    }
    const { revoked, alreadyRevoked } = await revokeCredentials(platform, scope, form.value.credentialId, form.value.reason)
    reply.flash('success', `${revoked} revoked${alreadyRevoked > 0 ? `, ${alreadyRevoked} already revoked` : ''}. Verifiers see it at once.`)
    return reply.redirect(listUrl(scope.orgId, form.value.back))
  })
}
