import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { expectedColumns, sampleRows, sendCsv } from '../../../platform/csv.ts'
import { type SortQuery, SortQueryFields } from '../../../platform/db/sort.ts'
import { ConflictError, InvalidError } from '../../../platform/errors.ts'
import type { TypedApp, TypedRequest } from '../../../platform/feature.ts'
import { parseForm } from '../../../platform/http/forms.ts'
import type { Platform } from '../../../platform/platform.ts'
import { utcToZoned, zonedToUtc } from '../../../platform/time-zones.ts'
import {
  CsrfField,
  EmptyState,
  type EmptyStateAction,
  Field,
  FormErrorSummary,
  type FormState,
  listHref,
  Pagination,
  SelectField,
  type SortableColumn,
  SortableTableHead,
  SortFields,
  type SortState,
  TableHead,
} from '../../../platform/ui/components.tsx'
import { CsvPreview, CsvUploadForm, previewCsvUpload } from '../../../platform/ui/csv-import.tsx'
import { getOrg, type OrgScope, requireRole, scopeOf } from '../../orgs/service.ts'
import { activeChoices } from '../catalog/catalog.ts'
import { CalendarQuery, CancelFields, ExamSessionFields, ExamSessionParams, ExamSessionsQuery, ImportParams, RescheduleFields } from '../contract.ts'
import { checkPortalAction } from '../portal/actions.ts'
import { getPortalConnection } from '../portal/connection.ts'
import { PortalSessionSection } from '../portal/pages.tsx'
import { ConnectFirst, PortalSelectionActions, portalAccessOf } from '../portal/run-pages.tsx'
import { startPortalRun } from '../portal/runs.ts'
import { CandidatesSection } from '../registrations/pages.tsx'
import { EXAM_SESSION_STATUSES, type ExamSessionStatus } from '../schema.ts'
import { confirmExamSessionImport, EXAM_SESSIONS_CSV, MAX_IMPORT_ROWS, previewExamSessionImport } from './bulk.ts'
import { loadCatalog, planFromLocalTimes } from './scheduling.ts'
import {
  cancelExamSessions,
  confirmExamSessions,
  createExamSession,
  type ExamSessionView,
  getExamSession,
  getExamSessionView,
  listExamSessions,
  listExamSessionsBetween,
  rescheduleExamSession,
} from './sessions.ts'

const SESSION_COLUMNS: SortableColumn[] = [
  { label: 'Select' },
  { label: 'Starts', sortKey: 'starts' },
  { label: 'Exam', sortKey: 'exam' },
  { label: 'Centre and room', sortKey: 'centre' },
  { label: 'Proctor', sortKey: 'proctor' },
  { label: 'Seats', sortKey: 'seats', firstDirection: 'desc' },
  { label: 'Status', sortKey: 'status' },
]

/** "2026-12-01 09:00" in the zone: exam session times are shown in their centre's time zone. */
const localTime = (date: Date, zone: string) => utcToZoned(date, zone).replace('T', ' ')
const localSpan = (session: { startsAt: Date; endsAt: Date; timeZone: string }) =>
  `${localTime(session.startsAt, session.timeZone)}–${localTime(session.endsAt, session.timeZone).slice(11)} (${session.timeZone})`

const DAY_MS = 86_400_000
const dayOf = (date: Date) => date.toISOString().slice(0, 10)
const addDays = (day: string, days: number) => dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS))
const mondayOf = (day: string) => addDays(day, -((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7))

/** `portal=1`: also create the exam sessions at the testing portal (the import form's box, then its confirm link). */
const PortalChoice = Type.Object({ portal: Type.Optional(Type.String()) })
const importConfirmSchema = { params: ImportParams, querystring: PortalChoice }
type Filters = { status?: string; examId?: string; centreId?: string; proctorId?: string }
const filterValues = (query: Filters) => ({
  status: (query.status || undefined) as ExamSessionStatus | undefined,
  examId: query.examId || undefined,
  centreId: query.centreId || undefined,
  proctorId: query.proctorId || undefined,
})

async function FilterSelects({ platform, scope, query }: { platform: Platform; scope: OrgScope; query: Filters }) {
  const choices = await activeChoices(platform.db, scope)
  const none = (label: string) => ({ value: '', label })
  return (
    <>
      <SelectField
        name="status"
        label="Status"
        options={[none('Any status'), ...EXAM_SESSION_STATUSES.map((status) => ({ value: status, label: status }))]}
        value={query.status ?? ''}
      />
      <SelectField
        name="examId"
        label="Exam"
        options={[none('Any exam'), ...choices.exams.map((exam) => ({ value: exam.id, label: exam.code }))]}
        value={query.examId ?? ''}
      />
      <SelectField
        name="centreId"
        label="Testing centre"
        options={[none('Any centre'), ...choices.centres.map((centre) => ({ value: centre.id, label: centre.code }))]}
        value={query.centreId ?? ''}
      />
      <SelectField
        name="proctorId"
        label="Proctor"
        options={[none('Any proctor'), ...choices.proctors.map((proctor) => ({ value: proctor.id, label: proctor.name }))]}
        value={query.proctorId ?? ''}
      />
    </>
  )
}

function StatusBadge({ status }: { status: ExamSessionStatus }) {
  return <span class={`badge badge-${status}`}>{status}</span>
}

/** The room choices of a form, labelled with their centre, seats and time zone. */
async function sessionFormOptions(platform: Platform, scope: OrgScope) {
  const choices = await activeChoices(platform.db, scope)
  const centres = new Map(choices.centres.map((centre) => [centre.id, centre]))
  return {
    exams: choices.exams.map((exam) => ({ value: exam.id, label: `${exam.code} · ${exam.title} (${exam.durationMinutes} min)` })),
    rooms: choices.rooms.flatMap((room) => {
      const centre = centres.get(room.centreId)
      return centre ? [{ value: room.id, label: `${centre.code} · ${room.name} (${room.capacity} seats, ${centre.timeZone})` }] : []
    }),
    proctors: [{ value: '', label: 'No proctor yet' }, ...choices.proctors.map((proctor) => ({ value: proctor.id, label: proctor.name }))],
  }
}

/** What the org lacks before it can schedule an exam session (an exam, a room), as steps to take; undefined when nothing. */
async function missingForScheduling(platform: Platform, scope: OrgScope) {
  const choices = await activeChoices(platform.db, scope)
  const orgBase = `/orgs/${scope.orgId}`
  const [centre] = choices.centres
  const steps: EmptyStateAction[] = [
    ...(choices.exams.length === 0 ? [{ href: `${orgBase}/exams/new`, label: 'Create an exam' }] : []),
    ...(choices.rooms.length > 0
      ? []
      : centre
        ? [{ href: `${orgBase}/test-centres/${centre.id}#new-room`, label: 'Add a room to a testing centre' }]
        : [{ href: `${orgBase}/test-centres/new`, label: 'Create a testing centre' }]),
  ]
  if (steps.length === 0) return undefined
  const sentence =
    steps.length === 2
      ? 'An exam session needs an exam and a room at a testing centre; there are none yet.'
      : choices.exams.length === 0
        ? 'An exam session needs an exam; there is none yet.'
        : 'An exam session needs a room at a testing centre; there is none yet.'
  return { steps, sentence }
}

function MissingForScheduling({ missing }: { missing: { steps: EmptyStateAction[]; sentence: string } }) {
  const [first, second] = missing.steps
  return (
    <EmptyState action={first}>
      <span safe>{missing.sentence}</span>
      {second ? (
        <>
          {' Then: '}
          <a href={second.href} safe>
            {second.label.toLowerCase()}
          </a>
          .
        </>
      ) : (
        ''
      )}
    </EmptyState>
  )
}

async function SessionFields({ platform, scope, state, session }: { platform: Platform; scope: OrgScope; state: FormState; session?: ExamSessionView }) {
  const options = await sessionFormOptions(platform, scope)
  return (
    <>
      {session ? '' : <SelectField name="examId" label="Exam" options={options.exams} state={state} />}
      <SelectField name="roomId" label="Testing centre and room" options={options.rooms} state={state} value={session?.roomId} />
      <SelectField name="proctorId" label="Proctor" options={options.proctors} state={state} value={session?.proctorId ?? ''} />
      <div class="grid">
        <Field
          name="start"
          label="Starts (centre's local time)"
          type="datetime-local"
          state={state}
          value={session ? utcToZoned(session.startsAt, session.timeZone) : undefined}
          required
        />
        <Field
          name="end"
          label="Ends (optional)"
          type="datetime-local"
          state={state}
          value={session ? utcToZoned(session.endsAt, session.timeZone) : undefined}
          hint="Empty: start plus the exam's duration."
        />
        <Field
          name="seats"
          label="Seats (optional)"
          type="number"
          state={state}
          value={session ? String(session.seats) : undefined}
          hint="Empty: the room's capacity."
        />
      </div>
    </>
  )
}

/** Runs a service call from a form; rule violations re-render the form with what to fix. */
async function withFormErrors<T>(work: () => Promise<T>, show: (state: FormState) => Promise<FastifyReply>, values: Record<string, string>) {
  try {
    return await work()
  } catch (error) {
    if (!(error instanceof InvalidError)) throw error
    await show({ errors: Object.keys(error.fields).length > 0 ? error.fields : { form: error.message }, values })
    return undefined
  }
}

export async function sessionRoutes(app: TypedApp): Promise<void> {
  const { platform } = app
  const base = (scope: OrgScope) => `/orgs/${scope.orgId}/exam-sessions`

  app.get('/orgs/:orgId/exam-sessions', { schema: { querystring: ExamSessionsQuery } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const { query } = request
    const { timeZone } = await getOrg(platform.db, scope)
    const page = await listExamSessions(platform.db, scope, {
      ...filterValues(query),
      from: query.from ? zonedToUtc(`${query.from}T00:00`, timeZone) : undefined,
      to: query.to ? zonedToUtc(`${addDays(query.to, 1)}T00:00`, timeZone) : undefined,
      sort: query.sort,
      dir: query.dir,
      page: query.page,
    })
    const filters = {
      from: query.from,
      to: query.to,
      status: query.status,
      examId: query.examId,
      centreId: query.centreId,
      proctorId: query.proctorId,
    }
    const order = { sort: page.sort.key, dir: page.sort.direction }
    const href = (pageNumber: number) => listHref(base(scope), { ...filters, ...order, page: pageNumber })
    const sortHref = (sort: SortState) => listHref(base(scope), { ...filters, sort: sort.key, dir: sort.direction })
    const isFiltered = Boolean(query.from || query.to || query.status || query.examId || query.centreId || query.proctorId)
    const hasPortal = (await getPortalConnection(platform, scope.orgId)) !== null
    const csrf = reply.csrfToken()
    return reply.page(
      'Exam sessions',
      <>
        <hgroup>
          <h1>Exam sessions</h1>
          <p
            safe
          >{`Scheduled sittings of your exams. Times are shown in each testing centre's time zone; date filters use your organisation's (${timeZone}).`}</p>
        </hgroup>
        <p>
          <a href={`${base(scope)}/new`} role="button">
            New exam session
          </a>{' '}
          <a href={`${base(scope)}/import`} role="button" class="secondary">
            Create from a CSV file
          </a>{' '}
          <a href={`/orgs/${scope.orgId}/exam-registrations/import`} role="button" class="secondary">
            Register candidates from a CSV file
          </a>{' '}
          <a href={`${base(scope)}/calendar`}>Calendar</a>
        </p>
        <form method="get" action={base(scope)} class="filters">
          <div class="grid">
            <Field name="from" label="Starting from" type="date" value={query.from} />
            <Field name="to" label="Until" type="date" value={query.to} />
          </div>
          <div class="grid">
            <FilterSelects platform={platform} scope={scope} query={query} />
          </div>
          <SortFields sort={order.sort} dir={order.dir} />
          <button type="submit">Filter</button> {isFiltered ? <a href={listHref(base(scope), order)}>Clear filters</a> : ''}
        </form>
        {page.items.length === 0 ? (
          isFiltered ? (
            <EmptyState action={{ href: base(scope), label: 'Clear the filters' }}>No exam sessions match these filters.</EmptyState>
          ) : (
            <EmptyState action={{ href: `${base(scope)}/new`, label: 'Schedule an exam session' }}>
              No exam sessions yet: schedule one, or create many from a CSV file.
            </EmptyState>
          )
        ) : (
          <form method="post" action={`${base(scope)}/confirm`}>
            <CsrfField token={csrf} />
            <p safe>{`${page.total} exam sessions`}</p>
            <table id="exam-sessions">
              <SortableTableHead columns={SESSION_COLUMNS} sort={page.sort} href={sortHref} />
              <tbody>
                {page.items.map((session) => (
                  <tr>
                    <td>
                      <input
                        type="checkbox"
                        name="ids"
                        value={session.id}
                        aria-label={`Select ${session.examCode} at ${localTime(session.startsAt, session.timeZone)}`}
                      />
                    </td>
                    <td>
                      <a href={`${base(scope)}/${session.id}`} safe>
                        {localSpan(session)}
                      </a>
                    </td>
                    <td safe>{session.examCode}</td>
                    <td safe>{`${session.centreCode} · ${session.roomName}`}</td>
                    <td safe>{session.proctorName ?? '—'}</td>
                    <td safe>{String(session.seats)}</td>
                    <td>
                      <StatusBadge status={session.status} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div role="group">
              <button type="submit">Confirm selected</button>
            </div>
            <div role="group">
              <input name="reason" aria-label="Reason for cancelling" placeholder="Reason for cancelling (candidates are told)" />
              <button type="submit" class="secondary" formaction={`${base(scope)}/cancel`}>
                Cancel selected
              </button>
            </div>
            {hasPortal ? <PortalSelectionActions scope={scope} /> : ''}
          </form>
        )}
        <Pagination page={page.page} pageCount={page.pageCount} href={href} />
      </>,
      { orgId: scope.orgId },
    )
  })

  app.get('/orgs/:orgId/exam-sessions/calendar', { schema: { querystring: CalendarQuery } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const { query } = request
    const view = query.view ?? 'week'
    const { timeZone } = await getOrg(platform.db, scope)
    const today = utcToZoned(platform.clock.now(), timeZone).slice(0, 10)
    const date = query.date ?? today
    const first = view === 'week' ? mondayOf(date) : mondayOf(`${date.slice(0, 8)}01`)
    const monthEnd = addDays(`${addDays(`${date.slice(0, 8)}28`, 4).slice(0, 8)}01`, -1)
    const last = view === 'week' ? addDays(first, 6) : addDays(mondayOf(monthEnd), 6)
    // A day in any centre's time zone lies within 14 hours of the same UTC day.
    const sessions = await listExamSessionsBetween(platform.db, scope, {
      ...filterValues(query),
      from: new Date(Date.parse(`${first}T00:00:00Z`) - 14 * 3_600_000),
      to: new Date(Date.parse(`${addDays(last, 1)}T00:00:00Z`) + 14 * 3_600_000),
    })
    const byDay = new Map<string, ExamSessionView[]>()
    for (const session of sessions) {
      const day = utcToZoned(session.startsAt, session.timeZone).slice(0, 10)
      byDay.set(day, [...(byDay.get(day) ?? []), session])
    }
    const weeks: string[][] = []
    for (let day = first; day <= last; day = addDays(day, 7)) weeks.push(Array.from({ length: 7 }, (_, i) => addDays(day, i)))
    const link = (changes: { view?: string; date?: string }) =>
      `${base(scope)}/calendar?${new URLSearchParams({ view, date, status: query.status ?? '', examId: query.examId ?? '', centreId: query.centreId ?? '', proctorId: query.proctorId ?? '', ...changes })}`
    const step = (direction: 1 | -1) => (view === 'week' ? addDays(date, 7 * direction) : `${addDays(`${date.slice(0, 8)}15`, 30 * direction).slice(0, 8)}01`)
    const heading =
      view === 'week'
        ? `Week of ${first}`
        : new Date(`${date.slice(0, 8)}01T00:00:00Z`).toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' })
    return reply.page(
      'Exam session calendar',
      <>
        <hgroup>
          <h1 safe>{heading}</h1>
          <p>Each exam session is on its day and at its time in its testing centre's time zone.</p>
        </hgroup>
        <nav aria-label="Calendar">
          <ul>
            <li>
              <a href={link({ date: step(-1) })}>{view === 'week' ? '← Previous week' : '← Previous month'}</a>
            </li>
            <li>
              <a href={link({ date: today })}>Today</a>
            </li>
            <li>
              <a href={link({ date: step(1) })}>{view === 'week' ? 'Next week →' : 'Next month →'}</a>
            </li>
            <li>
              <a href={link({ view: view === 'week' ? 'month' : 'week' })}>{view === 'week' ? 'Month view' : 'Week view'}</a>
            </li>
            <li>
              <a href={base(scope)}>List</a>
            </li>
          </ul>
        </nav>
        <form method="get" action={`${base(scope)}/calendar`} class="filters">
          <input type="hidden" name="view" value={view} />
          <input type="hidden" name="date" value={date} />
          <div class="grid">
            <FilterSelects platform={platform} scope={scope} query={query} />
          </div>
          <button type="submit">Filter</button>
        </form>
        {sessions.length === 0 ? (
          <EmptyState action={{ href: `${base(scope)}/new`, label: 'Schedule an exam session' }}>No exam sessions in this period.</EmptyState>
        ) : (
          ''
        )}
        <table class="calendar" id="exam-session-calendar">
          <TableHead columns={['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']} />
          <tbody>
            {weeks.map((week) => (
              <tr>
                {week.map((day) => (
                  <td data-day={day} aria-current={day === today ? 'date' : undefined}>
                    <strong safe>{view === 'month' && day.slice(0, 7) !== date.slice(0, 7) ? day : day.slice(5)}</strong>
                    <ul>
                      {(byDay.get(day) ?? []).map((session) => (
                        <li>
                          <a href={`${base(scope)}/${session.id}`} class={`session-${session.status}`} safe>
                            {`${localTime(session.startsAt, session.timeZone).slice(11)} ${session.examCode} · ${session.centreCode} ${session.roomName}${session.status === 'cancelled' ? ' (cancelled)' : ''}`}
                          </a>
                        </li>
                      ))}
                    </ul>
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </>,
      { orgId: scope.orgId },
    )
  })

  const newPage = async (request: FastifyRequest, reply: FastifyReply, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const missing = await missingForScheduling(platform, scope)
    return reply.page(
      'New exam session',
      <article>
        <h1>New exam session</h1>
        {missing ? (
          <MissingForScheduling missing={missing} />
        ) : (
          <>
            <FormErrorSummary state={state} />
            <form method="post" action={base(scope)} novalidate>
              <CsrfField token={reply.csrfToken()} />
              <SessionFields platform={platform} scope={scope} state={state} />
              <button type="submit">Schedule</button>
            </form>
          </>
        )}
      </article>,
      { orgId: scope.orgId },
    )
  }
  app.get('/orgs/:orgId/exam-sessions/new', async (request, reply) => newPage(request, reply))
  app.post('/orgs/:orgId/exam-sessions', async (request, reply) => {
    const form = parseForm(ExamSessionFields, request.body)
    if (!form.ok) return newPage(request, reply.status(422), form)
    const scope = scopeOf(request)
    const session = await withFormErrors(
      async () => createExamSession(platform, scope, planFromLocalTimes(await loadCatalog(platform.db, scope), form.value)),
      (state) => newPage(request, reply.status(422), state),
      form.values,
    )
    if (!session) return reply
    reply.flash('success', 'The exam session is scheduled.')
    return reply.redirect(`${base(scope)}/${session.id}`)
  })

  const detailPage = async (
    request: TypedRequest<{ params: typeof ExamSessionParams }>,
    reply: FastifyReply,
    state: FormState = {},
    candidateOrder: SortQuery = {},
  ) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const { examSessionId } = request.params
    const session = await getExamSessionView(platform.db, scope, examSessionId)
    const csrf = reply.csrfToken()
    const isOpen = session.status === 'scheduled' || session.status === 'confirmed'
    return reply.page(
      `Exam session ${session.examCode}`,
      <>
        <hgroup>
          <h1 safe>{`${session.examCode} · ${session.examTitle}`}</h1>
          <p safe>{localSpan(session)}</p>
        </hgroup>
        <dl>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={session.status} />
            {session.cancellationReason ? <span safe>{` — ${session.cancellationReason}`}</span> : ''}
          </dd>
          <dt>Testing centre and room</dt>
          <dd safe>{`${session.centreCode} ${session.centreName} · ${session.roomName} (${session.roomCapacity} seats)`}</dd>
          <dt>Seats</dt>
          <dd safe>{String(session.seats)}</dd>
          <dt>Proctor</dt>
          <dd safe>{session.proctorName ?? 'None yet'}</dd>
          <dt>Exam session ID (for CSV files of candidates)</dt>
          <dd>
            <code safe>{session.id}</code>
          </dd>
        </dl>
        {session.status === 'scheduled' ? (
          <form method="post" action={`${base(scope)}/confirm`}>
            <CsrfField token={csrf} />
            <input type="hidden" name="ids" value={session.id} />
            <button type="submit">Confirm</button>
          </form>
        ) : (
          ''
        )}
        {isOpen ? (
          <>
            <details open={Object.keys(state.errors ?? {}).length > 0}>
              <summary>Reschedule</summary>
              <FormErrorSummary state={state} />
              <form method="post" action={`${base(scope)}/${session.id}/reschedule`} novalidate>
                <CsrfField token={csrf} />
                <SessionFields platform={platform} scope={scope} state={state} session={session} />
                <button type="submit">Reschedule</button>
              </form>
            </details>
            <details>
              <summary>Cancel this exam session</summary>
              <form method="post" action={`${base(scope)}/cancel`}>
                <CsrfField token={csrf} />
                <input type="hidden" name="ids" value={session.id} />
                <Field name="reason" label="Reason (registered candidates are told)" required />
                <button type="submit" class="secondary">
                  Cancel the exam session
                </button>
              </form>
            </details>
          </>
        ) : (
          ''
        )}
        <PortalSessionSection platform={platform} request={request} scope={scope} session={session} csrf={csrf} />
        <CandidatesSection platform={platform} scope={scope} session={session} csrf={csrf} order={candidateOrder} />
        <p>
          <a href={base(scope)}>All exam sessions</a>
        </p>
      </>,
      { orgId: scope.orgId },
    )
  }
  app.get(
    '/orgs/:orgId/exam-sessions/:examSessionId',
    { schema: { params: ExamSessionParams, querystring: Type.Object(SortQueryFields) } },
    async (request, reply) => detailPage(request, reply, {}, request.query),
  )
  app.post('/orgs/:orgId/exam-sessions/:examSessionId/reschedule', { schema: { params: ExamSessionParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    const { examSessionId } = request.params
    const form = parseForm(RescheduleFields, request.body)
    if (!form.ok) return detailPage(request, reply.status(422), form)
    const session = await withFormErrors(
      async () => {
        const current = await getExamSession(platform.db, scope, examSessionId)
        const { examId: _examId, ...planned } = planFromLocalTimes(await loadCatalog(platform.db, scope), { ...form.value, examId: current.examId })
        return rescheduleExamSession(platform, scope, examSessionId, planned)
      },
      (state) => detailPage(request, reply.status(422), state),
      form.values,
    )
    if (!session) return reply
    reply.flash('success', 'Rescheduled. Confirm the exam session again when it is settled.')
    return reply.redirect(`${base(scope)}/${examSessionId}`)
  })

  /** Confirm or cancel the checked exam sessions; a rule that stops them is shown, nothing changes. */
  const statusAction = (action: 'confirm' | 'cancel') =>
    app.post(`/orgs/:orgId/exam-sessions/${action}`, async (request, reply) => {
      const scope = scopeOf(request)
      const body = (request.body ?? {}) as { ids?: string | string[]; reason?: string }
      const ids = [body.ids ?? []].flat().filter((id): id is string => typeof id === 'string' && id.length <= 64)
      const back = ids.length === 1 ? `${base(scope)}/${ids[0]}` : base(scope)
      try {
        if (action === 'confirm') {
          const changed = await confirmExamSessions(platform, scope, ids)
          reply.flash('success', `${changed.length} exam session${changed.length === 1 ? '' : 's'} confirmed.`)
        } else {
          const form = parseForm(CancelFields, body)
          if (!form.ok) throw new InvalidError('reason_required', form.errors.reason ?? 'Give a reason for cancelling.')
          const changed = await cancelExamSessions(platform, scope, ids, form.value.reason)
          reply.flash('success', `${changed.length} exam session${changed.length === 1 ? '' : 's'} cancelled.`)
        }
      } catch (error) {
        if (!(error instanceof InvalidError || error instanceof ConflictError)) throw error
        reply.flash('error', error.message)
      }
      return reply.redirect(back)
    })
  statusAction('confirm')
  statusAction('cancel')

  // Creating from a CSV file: upload, preview every row, confirm.
  const uploadPage = async (request: FastifyRequest, reply: FastifyReply, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const hasPortal = (await getPortalConnection(platform, scope.orgId)) !== null
    const isConnected = hasPortal && (await portalAccessOf(platform, request, reply, scope)) !== null
    return reply.page(
      'Create exam sessions from a CSV file',
      <article>
        <h1>Create exam sessions from a CSV file</h1>
        <p>
          One exam session per line, with a header line naming the columns <code safe>{expectedColumns(EXAM_SESSIONS_CSV)}</code>. Nothing is created until you
          have seen the preview and confirmed.
        </p>
        <CsvUploadForm
          action={`${base(scope)}/import`}
          sampleHref={`${base(scope)}/import/sample.csv`}
          csrfToken={reply.csrfToken()}
          state={state}
          maxRows={MAX_IMPORT_ROWS}
          purpose="This file should hold no personal data: only exams, testing centres, rooms and times."
        >
          {isConnected ? (
            <label>
              <input type="checkbox" name="portal" value="1" /> Also create these at the testing portal (rows that break a portal rule are listed, not created)
            </label>
          ) : hasPortal ? (
            <ConnectFirst scope={scope} what="also create these at the testing portal" />
          ) : (
            ''
          )}
        </CsvUploadForm>
      </article>,
      { orgId: scope.orgId },
    )
  }
  app.get('/orgs/:orgId/exam-sessions/import', async (request, reply) => uploadPage(request, reply))
  app.get('/orgs/:orgId/exam-sessions/import/sample.csv', async (request, reply) => {
    requireRole(scopeOf(request), 'staff')
    return sendCsv(reply, 'exam-sessions-sample.csv', sampleRows(EXAM_SESSIONS_CSV))
  })
  app.post('/orgs/:orgId/exam-sessions/import', { schema: { body: PortalChoice } }, async (request, reply) => {
    const scope = scopeOf(request)
    const alsoAtPortal = request.body.portal === '1'
    const access = alsoAtPortal ? await portalAccessOf(platform, request, reply, scope) : null
    if (alsoAtPortal && !access)
      return uploadPage(request, reply.status(422), { errors: { file: 'Connect to the testing portal first, or upload without the portal box.' } })
    const now = platform.clock.now()
    const upload = await previewCsvUpload(request.body, (file) =>
      previewExamSessionImport(platform, scope, file, {
        portalCheck: access
          ? (planned, portalProctorId) =>
              checkPortalAction(
                access.connector.rules,
                'create',
                { status: 'scheduled', startsAt: planned.startsAt, portalSessionId: null, portalProctorId },
                now,
                access.actor,
              )
          : undefined,
      }),
    )
    if ('state' in upload) return uploadPage(request, reply.status(422), upload.state)
    const { preview } = upload
    return reply.page(
      'Check the file',
      <CsvPreview
        preview={{ ...preview, alreadyDone: preview.alreadyCreated }}
        verb={{ base: 'create', past: 'created' }}
        problemsId="import-problems"
        confirm={
          access
            ? {
                action: `${base(scope)}/import/${preview.id}/confirm?portal=1`,
                label: `Create ${preview.validRows} exam sessions here and at the testing portal`,
              }
            : { action: `${base(scope)}/import/${preview.id}/confirm`, label: `Create ${preview.validRows} exam sessions` }
        }
        uploadHref={`${base(scope)}/import`}
        csrfToken={reply.csrfToken()}
      />,
      { orgId: scope.orgId },
    )
  })
  app.post('/orgs/:orgId/exam-sessions/import/:examSessionImportId/confirm', { schema: importConfirmSchema }, async (request, reply) => {
    const scope = scopeOf(request)
    const { examSessionImportId } = request.params
    const alsoAtPortal = request.query.portal === '1'
    const access = alsoAtPortal ? await portalAccessOf(platform, request, reply, scope) : null
    if (alsoAtPortal && !access) {
      reply.flash('error', 'Your login session is no longer connected to the testing portal: connect again, then upload the file again. Nothing was created.')
      return reply.redirect(`${base(scope)}/import`)
    }
    try {
      const { created, examSessionIds } = await confirmExamSessionImport(platform, scope, examSessionImportId)
      reply.flash('success', `${created} exam sessions created.`)
      if (access && examSessionIds.length > 0) {
        const run = await startPortalRun(platform, scope, access, { action: 'create', examSessionIds })
        return reply.redirect(`/orgs/${scope.orgId}/portal-runs/${run.id}`)
      }
      return reply.redirect(base(scope))
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error
      reply.flash('error', error.message)
      return reply.redirect(`${base(scope)}/import`)
    }
  })
}
