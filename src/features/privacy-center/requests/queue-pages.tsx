import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Static } from 'typebox'
import { listAuditEntries } from '../../../platform/audit/query.ts'
import { ConflictError, InvalidError } from '../../../platform/errors.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import { requirePlatformAdmin, signedInAuth } from '../../../platform/http/auth.ts'
import { parseForm } from '../../../platform/http/forms.ts'
import {
  CsrfField,
  EmptyState,
  listHref,
  Pagination,
  type SortableColumn,
  SortableTableHead,
  SortFields,
  type SortState,
  TableHead,
} from '../../../platform/ui/components.tsx'
import { scopeOf } from '../../orgs/service.ts'
import { originOf, sendZip } from '../export/pages.tsx'
import { formatTime, percentOf } from '../export/section.tsx'
import { type DataExportView, downloadDataExportForRequest, latestExportForRequest } from '../export/service.ts'
import { ActionForm, OrgParams, OrgRequestParams, RequestParams, RequestsQuery } from './contract.ts'
import { describeDeadline, localDay, type WorkingCalendar } from './deadline.ts'
import { type PrivacyRequest, REQUEST_STATUSES } from './schema.ts'
import {
  ACTION_LABELS,
  actOnRequest,
  availableActions,
  calendarOf,
  calendarsOf,
  getRequest,
  liftRequestRestriction,
  listRequests,
  orgQueue,
  platformQueue,
  REQUEST_SORT,
  type RequestQueue,
  TYPE_LABELS,
} from './service.ts'
import { OPEN_STATUSES, STATUS_LABELS } from './state-machine.ts'

const formatDateTime = (date: Date) => date.toISOString().replace('T', ' ').slice(0, 16)
const subjectOf = (request: PrivacyRequest) => (request.subjectEmail ? `${request.subjectName ?? ''} <${request.subjectEmail}>`.trim() : '(erased)')

/** One queue's pages: an org's (staff and up) or the platform admin's (every org's and the platform's requests). */
interface QueueRoutes {
  queueOf(request: FastifyRequest): RequestQueue
  base(request: FastifyRequest): string
  orgId(request: FastifyRequest): string | undefined
}

const REQUEST_COLUMN: SortableColumn = { label: 'Request', sortKey: 'type' }
/** The platform queue shows which org each request went to between the request and the rest. */
const ORG_COLUMN: SortableColumn = { label: 'To' }
const DETAIL_COLUMNS: SortableColumn[] = [
  { label: 'Subject', sortKey: 'subject' },
  { label: 'Received', sortKey: 'received', firstDirection: 'desc' },
  { label: 'Status', sortKey: 'status' },
  { label: 'Deadline', sortKey: 'deadline' },
]

/** The staff queue per org and the platform admin's queue: list, detail with audit trail, actions. */
export async function queuePages(app: TypedApp): Promise<void> {
  const { platform } = app

  const listPage = async (request: FastifyRequest, reply: FastifyReply, routes: QueueRoutes, query: Static<typeof RequestsQuery>) => {
    const queue = routes.queueOf(request)
    const base = routes.base(request)
    const page = await listRequests(platform.db, queue, { ...query, status: query.status || undefined })
    const calendars = await calendarsOf(
      platform.db,
      page.items.map((item) => item.orgId),
    )
    const now = platform.clock.now()
    const isDefaultSort = page.sort.key === REQUEST_SORT.defaultSort.key
    const order = isDefaultSort ? {} : { sort: page.sort.key, dir: page.sort.direction }
    const href = (number: number) => listHref(base, { status: query.status, ...order, page: number })
    const sortHref = (sort: SortState) => listHref(base, { status: query.status, sort: sort.key, dir: sort.direction })
    return reply.page(
      'Privacy requests',
      <>
        <h1>Privacy requests</h1>
        {queue.isPlatformQueue ? '' : <PrivacyLinks orgId={queue.orgId ?? ''} />}
        <form method="get" action={base} class="filters">
          <select name="status" aria-label="Filter by status">
            <option value="">All statuses</option>
            {REQUEST_STATUSES.map((status) => (
              <option value={status} selected={query.status === status} safe>
                {STATUS_LABELS[status]}
              </option>
            ))}
          </select>
          <SortFields sort={order.sort} dir={order.dir} />
          <button type="submit">Filter</button>
        </form>
        {page.items.length === 0 ? (
          query.status ? (
            <EmptyState action={{ href: base, label: 'Show every status' }}>No privacy requests with this status.</EmptyState>
          ) : (
            <EmptyState
              action={{ href: queue.orgId ? `/privacy/request?org=${encodeURIComponent(queue.orgId)}` : '/privacy/request', label: 'See the request form' }}
            >
              No privacy requests. People ask to see, correct or erase their data through the public request form.
            </EmptyState>
          )
        ) : (
          <table>
            <SortableTableHead columns={[REQUEST_COLUMN, ...(queue.isPlatformQueue ? [ORG_COLUMN] : []), ...DETAIL_COLUMNS]} sort={page.sort} href={sortHref} />
            <tbody>
              {page.items.map((item) => (
                <tr>
                  <td>
                    <a href={`${base}/${item.id}`} safe>
                      {TYPE_LABELS[item.type]}
                    </a>
                  </td>
                  {queue.isPlatformQueue ? <td safe>{calendars.get(item.orgId)?.orgName ?? 'Platform'}</td> : ''}
                  <td safe>{item.subjectEmail ?? '(erased)'}</td>
                  <td safe>{formatDateTime(item.receivedAt)}</td>
                  <td safe>{STATUS_LABELS[item.status]}</td>
                  <td>
                    <DeadlineBadge request={item} calendar={calendars.get(item.orgId)} now={now} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pagination page={page.page} pageCount={page.pageCount} href={href} />
      </>,
      { orgId: routes.orgId(request) },
    )
  }

  const detailPage = async (request: FastifyRequest, reply: FastifyReply, routes: QueueRoutes, requestId: string) => {
    const queue = routes.queueOf(request)
    const item = await getRequest(platform.db, queue, requestId)
    const trail = await listAuditEntries(platform.db, { target: item.id, pageSize: 200 })
    const calendar = await calendarOf(platform.db, item.orgId)
    const action = `${routes.base(request)}/${item.id}`
    const csrf = reply.csrfToken()
    const actions = availableActions(item, queue)
    const dataExport = item.type === 'access' ? await latestExportForRequest(platform, item.id) : null
    return reply.page(
      'Privacy request',
      <>
        <h1 safe>{TYPE_LABELS[item.type]}</h1>
        <dl>
          <dt>Subject</dt>
          <dd safe>{subjectOf(item)}</dd>
          {item.guardianEmail ? (
            <>
              <dt>Acting for the subject</dt>
              <dd safe>{item.guardianEmail}</dd>
            </>
          ) : (
            ''
          )}
          <dt>Identity</dt>
          <dd safe>{item.identityVerification === 'unverified' ? 'Not verified yet' : `Verified (${item.identityVerification.replace('_', ' ')})`}</dd>
          <dt>Received</dt>
          <dd safe>{formatDateTime(item.receivedAt)}</dd>
          <dt>Deadline</dt>
          <dd>
            <span safe>{`End of ${localDay(item.dueAt, calendar.timeZone)} (${calendar.timeZone})`}</span>{' '}
            <DeadlineBadge request={item} calendar={calendar} now={platform.clock.now()} />
          </dd>
          <dt>Status</dt>
          <dd safe>{STATUS_LABELS[item.status]}</dd>
          {item.details ? (
            <>
              <dt>Details</dt>
              <dd safe>{item.details}</dd>
            </>
          ) : (
            ''
          )}
          {item.outcome ? (
            <>
              <dt>Outcome</dt>
              <dd safe>{item.outcome}</dd>
            </>
          ) : (
            ''
          )}
          {dataExport ? (
            <>
              <dt>Data export</dt>
              <dd>
                <RequestExportStatus view={dataExport} href={`${action}/export`} />
              </dd>
            </>
          ) : (
            ''
          )}
        </dl>
        {actions.length > 0 ? (
          <form
            method="post"
            action={action}
            data-confirm={item.type === 'erasure' && actions.includes('complete') ? 'Completing erases this person’s data for good. Continue?' : undefined}
          >
            <CsrfField token={csrf} />
            <label for="field-note">
              Note (the reason, to refuse; the answer given, to complete)
              <textarea id="field-note" name="note" rows="3" />
            </label>
            {actions.map((one) => (
              <button type="submit" name="action" value={one} class={one === 'refuse' ? 'secondary' : undefined} safe>
                {ACTION_LABELS[one]}
              </button>
            ))}
          </form>
        ) : (
          ''
        )}
        {item.status === 'completed' && (item.type === 'restriction' || item.type === 'objection') ? (
          <form method="post" action={`${action}/lift`} data-confirm="Lift the restriction, so processing resumes?">
            <CsrfField token={csrf} />
            <button type="submit" class="secondary">
              Lift the restriction
            </button>
          </form>
        ) : (
          ''
        )}
        <h2>Audit trail</h2>
        <table>
          <TableHead columns={['When', 'What', 'By']} />
          <tbody>
            {trail.items.map((entry) => (
              <tr>
                <td safe>{formatDateTime(entry.recordedAt)}</td>
                <td safe>{entry.action}</td>
                <td safe>{entry.actorAccountId ?? 'the requester or the system'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </>,
      { orgId: routes.orgId(request) },
    )
  }

  const act = async (request: FastifyRequest, reply: FastifyReply, routes: QueueRoutes, requestId: string) => {
    const queue = routes.queueOf(request)
    await getRequest(platform.db, queue, requestId) // another org's request: 404 before any validation
    const form = parseForm(ActionForm, request.body)
    if (!form.ok) throw new InvalidError('invalid_action', Object.values(form.errors).join(' '), form.errors)
    const updated = await actOnRequest(platform, queue, requestId, form.value)
    reply.flash('success', `The request is now ${STATUS_LABELS[updated.status].toLowerCase()}.`)
    return reply.redirect(`${routes.base(request)}/${requestId}`)
  }

  const lift = async (request: FastifyRequest, reply: FastifyReply, routes: QueueRoutes, requestId: string) => {
    const wasLifted = await liftRequestRestriction(platform, routes.queueOf(request), requestId)
    reply.flash('success', wasLifted ? 'The restriction is lifted.' : 'There was no restriction left to lift.')
    return reply.redirect(`${routes.base(request)}/${requestId}`)
  }

  const downloadExport = async (request: FastifyRequest, reply: FastifyReply, routes: QueueRoutes, requestId: string) => {
    const queue = routes.queueOf(request)
    const item = await getRequest(platform.db, queue, requestId) // another queue's request: 404
    const dataExport = await latestExportForRequest(platform, item.id)
    if (!dataExport) {
      throw new ConflictError('no_data_export', 'This request has no data export: one is prepared when an access request is completed.')
    }
    const download = await downloadDataExportForRequest(platform, dataExport.id, { accountId: queue.accountId, orgId: item.orgId, ...originOf(request) })
    if (download.kind === 'unavailable') {
      throw new ConflictError('data_export_unavailable', `This export is ${EXPORT_STATE_TEXT[download.export.state]}; its download is not available.`)
    }
    return sendZip(reply, download)
  }

  const orgRoutes: QueueRoutes = {
    queueOf: (request) => orgQueue(scopeOf(request)),
    base: (request) => `/orgs/${scopeOf(request).orgId}/privacy/requests`,
    orgId: (request) => scopeOf(request).orgId,
  }
  app.get('/orgs/:orgId/privacy/requests', { schema: { params: OrgParams, querystring: RequestsQuery } }, async (request, reply) =>
    listPage(request, reply, orgRoutes, request.query),
  )
  app.get('/orgs/:orgId/privacy/requests/:requestId', { schema: { params: OrgRequestParams } }, async (request, reply) =>
    detailPage(request, reply, orgRoutes, request.params.requestId),
  )
  app.post('/orgs/:orgId/privacy/requests/:requestId', { schema: { params: OrgRequestParams } }, async (request, reply) =>
    act(request, reply, orgRoutes, request.params.requestId),
  )
  app.get('/orgs/:orgId/privacy/requests/:requestId/export', { schema: { params: OrgRequestParams } }, async (request, reply) =>
    downloadExport(request, reply, orgRoutes, request.params.requestId),
  )
  app.post('/orgs/:orgId/privacy/requests/:requestId/lift', { schema: { params: OrgRequestParams } }, async (request, reply) =>
    lift(request, reply, orgRoutes, request.params.requestId),
  )

  await app.register(async (admin: TypedApp) => {
    admin.addHook('preHandler', requirePlatformAdmin)
    const adminRoutes: QueueRoutes = {
      queueOf: (request) => platformQueue(signedInAuth(request).accountId),
      base: () => '/admin/privacy/requests',
      orgId: () => undefined,
    }
    admin.get('/admin/privacy/requests', { schema: { querystring: RequestsQuery } }, async (request, reply) =>
      listPage(request, reply, adminRoutes, request.query),
    )
    admin.get('/admin/privacy/requests/:requestId', { schema: { params: RequestParams } }, async (request, reply) =>
      detailPage(request, reply, adminRoutes, request.params.requestId),
    )
    admin.post('/admin/privacy/requests/:requestId', { schema: { params: RequestParams } }, async (request, reply) =>
      act(request, reply, adminRoutes, request.params.requestId),
    )
    admin.get('/admin/privacy/requests/:requestId/export', { schema: { params: RequestParams } }, async (request, reply) =>
      downloadExport(request, reply, adminRoutes, request.params.requestId),
    )
    admin.post('/admin/privacy/requests/:requestId/lift', { schema: { params: RequestParams } }, async (request, reply) =>
      lift(request, reply, adminRoutes, request.params.requestId),
    )
  })
}

/** The rest of the org's privacy center, one click from its requests queue (the "Privacy" entry of the org menu). */
function PrivacyLinks({ orgId }: { orgId: string }) {
  const links = [
    ['breaches', 'Breach register'],
    ['retention', 'Retention'],
    ['records', 'Record of processing'],
    ['settings', 'Privacy settings'],
  ]
  return (
    <nav aria-label="Privacy center">
      <ul>
        {links.map(([path, label]) => (
          <li>
            <a href={`/orgs/${orgId}/privacy/${path}`} safe>
              {label}
            </a>
          </li>
        ))}
        <li>
          <a href={`/privacy/orgs/${orgId}`}>Privacy policy</a>
        </li>
      </ul>
    </nav>
  )
}

/** "overdue" or "due in N working days" for an open request; nothing for a closed one. */
function DeadlineBadge({ request, calendar, now }: { request: PrivacyRequest; calendar: WorkingCalendar | undefined; now: Date }) {
  if (!calendar || !OPEN_STATUSES.includes(request.status)) return ''
  const deadline = describeDeadline(now, request.dueAt, calendar)
  return (
    <span class={`badge${deadline.isOverdue ? ' badge-danger' : deadline.isNearDue ? ' badge-warning' : ''}`} safe>
      {deadline.label}
    </span>
  )
}

const EXPORT_STATE_TEXT: Record<DataExportView['state'], string> = {
  building: 'still being prepared',
  failed: 'failed',
  ready: 'ready',
  expired: 'expired and its file is deleted',
}

/** The state of the export answering an access request, with the staff download link once it is ready. */
function RequestExportStatus({ view, href }: { view: DataExportView; href: string }) {
  if (view.state === 'building') {
    const percent = percentOf(view)
    return (
      <>
        <progress value={String(percent)} max="100" aria-label={`Preparing the export: ${percent}%`} />
        <span safe>{`Being prepared (${percent}%): reload the page to see it progress.`}</span>
      </>
    )
  }
  if (view.state === 'ready') {
    return (
      <>
        <a href={href} download="">
          Download the export (ZIP)
        </a>{' '}
        <small safe>{`available until ${formatTime(view.expiresAt)}`}</small>
      </>
    )
  }
  return <span safe>{`This export is ${EXPORT_STATE_TEXT[view.state]}.`}</span>
}
