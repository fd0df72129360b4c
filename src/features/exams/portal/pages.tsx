import type { FastifyReply, FastifyRequest } from 'fastify'
import { type Static, Type } from 'typebox'
import { ConflictError, InvalidError } from '../../../platform/errors.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import { parseForm } from '../../../platform/http/forms.ts'
import type { Platform } from '../../../platform/platform.ts'
import { utcToZoned, zonedToUtc } from '../../../platform/time-zones.ts'
import { CsrfField, EmptyState, Field, FormErrorSummary, type FormState, Pagination, SelectField, TableHead } from '../../../platform/ui/components.tsx'
import { getOrg, hasRole, type OrgScope, requireRole, scopeOf } from '../../orgs/service.ts'
import { activeChoices, getCentre, type TestCentre } from '../catalog/catalog.ts'
import { ExamSessionParams } from '../contract.ts'
import { type ExamSessionView, getExamSessionView, listExamSessionsAtPortal } from '../sessions/sessions.ts'
import { auditedPortalCall } from './actions.ts'
import { getPortalConnection, MAX_REQUESTS_PER_SECOND, type PortalConnection, savePortalConnection } from './connection.ts'
import { findRuleViolations, PortalError, type PortalSession, type PortalSessionPage } from './connector.ts'
import { connectPortal, disconnectPortal, isPortalConnected, type PortalAccess, withPortal } from './interactive.ts'
import { createAtPortal, livePortalAction, portalErrorMessage } from './live.ts'
import { applyFix, type Drift, FIXES, type FixKind, type Reconciliation, reconcile } from './reconcile.ts'
import { RecentPortalRuns } from './run-pages.tsx'
import { listPortalRuns } from './runs.ts'

/*
 * Interactive mode pages: the org's portal settings, connecting and disconnecting, the portal's
 * sessions live with confirm and cancel, creating one exam session at the portal, and reconciliation.
 */

const date = Type.Optional(Type.Union([Type.Literal(''), Type.String({ format: 'date' })]))
const PortalQuery = Type.Object({ from: date, to: date, page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) })
const ReconcileQuery = Type.Object({ centreId: Type.Optional(Type.String({ maxLength: 64 })), from: date, to: date })
const SettingsFields = Type.Object({
  baseUrl: Type.String({ minLength: 1, maxLength: 500, errorMessage: 'Enter the portal’s base URL, e.g. https://portal.example/api/v1.' }),
  requestsPerSecond: Type.Integer({
    minimum: 1,
    maximum: MAX_REQUESTS_PER_SECOND,
    errorMessage: `Requests per second: a whole number from 1 to ${MAX_REQUESTS_PER_SECOND}.`,
  }),
})
const ConnectFields = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 200, errorMessage: 'Enter your portal username.' }),
})
const MAX_PASSWORD_LENGTH = 500
const ActionFields = Type.Object({
  portalSessionId: Type.String({ minLength: 1, maxLength: 128, errorMessage: 'Choose a portal session.' }),
  reason: Type.Optional(Type.String({ maxLength: 500 })),
  from: date,
  to: date,
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
})
const FixFields = Type.Object({
  fix: Type.Union(
    FIXES.map((fix) => Type.Literal(fix)),
    { errorMessage: 'Choose a fix.' },
  ),
  examSessionId: Type.Optional(Type.String({ maxLength: 64 })),
  portalSessionId: Type.Optional(Type.String({ maxLength: 128 })),
  reason: Type.Optional(Type.String({ maxLength: 500 })),
  centreId: Type.Optional(Type.String({ maxLength: 64 })),
  from: date,
  to: date,
})

const PORTAL_PAGE_SIZE = 25
const DAY_MS = 86_400_000
const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10)
const localTime = (instant: Date, zone: string) => `${utcToZoned(instant, zone).replace('T', ' ')}`
const span = (session: { startsAt: Date; endsAt: Date }, zone: string) =>
  `${localTime(session.startsAt, zone)}–${localTime(session.endsAt, zone).slice(11)} (${zone})`
/** [from, to) in UTC for whole days `from`..`to` in `zone`. */
const dayRange = (from: string, to: string, zone: string) => ({
  from: zonedToUtc(`${from}T00:00`, zone) ?? new Date(`${from}T00:00:00Z`),
  to: zonedToUtc(`${addDays(to, 1)}T00:00`, zone) ?? new Date(`${addDays(to, 1)}T00:00:00Z`),
})

/** A portal refusal or a rule that stopped the action, as a message; anything else is a real error. */
function problemOf(error: unknown): string {
  if (error instanceof PortalError) return portalErrorMessage(error)
  if (error instanceof InvalidError || error instanceof ConflictError) return error.message
  throw error
}

async function flashOutcome(reply: FastifyReply, work: () => Promise<string>): Promise<void> {
  try {
    reply.flash('success', await work())
  } catch (error) {
    reply.flash('error', problemOf(error))
  }
}

function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge badge-${status}`} safe>
      {status}
    </span>
  )
}

/** The portal part of an exam session's page: its portal ID, or "Create at portal" when connected and not linked yet. */
export async function PortalSessionSection({
  platform,
  request,
  scope,
  session,
  csrf,
}: {
  platform: Platform
  request: FastifyRequest
  scope: OrgScope
  session: ExamSessionView
  csrf: string
}) {
  const connection = await getPortalConnection(platform, scope.orgId)
  if (!connection) return ''
  const isOpen = session.status === 'scheduled' || session.status === 'confirmed'
  const portalHome = `/orgs/${scope.orgId}/portal`
  return (
    <section id="portal-session">
      <h2>Testing portal</h2>
      {session.portalSessionId ? (
        <p>
          At the testing portal as <code safe>{session.portalSessionId}</code>. <a href={portalHome}>Portal sessions</a>
        </p>
      ) : !isOpen ? (
        <p>Not at the testing portal.</p>
      ) : (await isPortalConnected(platform, request, scope)) ? (
        <form method="post" action={`/orgs/${scope.orgId}/exam-sessions/${session.id}/portal/create`}>
          <CsrfField token={csrf} />
          <p>Not at the testing portal yet.</p>
          <button type="submit">Create at portal</button>
        </form>
      ) : (
        <p>
          Not at the testing portal yet. <a href={portalHome}>Connect the portal</a> to create it there.
        </p>
      )}
    </section>
  )
}

function ConnectForm({ scope, csrf, state }: { scope: OrgScope; csrf: string; state: FormState }) {
  return (
    <article id="portal-connect">
      <h2>Connect the testing portal</h2>
      <p>
        Sign in with your own portal account. Your username and password are kept only for this browser session, encrypted, and are wiped when you disconnect or
        sign out.
      </p>
      <FormErrorSummary state={state} />
      <form method="post" action={`/orgs/${scope.orgId}/portal/connect`} novalidate>
        <CsrfField token={csrf} />
        <Field name="username" label="Portal username" state={state} autocomplete="off" required />
        <Field name="password" label="Portal password" type="password" state={state} autocomplete="off" required />
        <button type="submit">Connect portal</button>
      </form>
    </article>
  )
}

function SessionRow({
  portal,
  linked,
  refusals,
  zone,
  scope,
  csrf,
  query,
}: {
  portal: PortalSession
  linked: ExamSessionView | undefined
  /** Why the portal's rules would refuse each action now (null: allowed), so the page offers only what can succeed. */
  refusals: Record<'confirm' | 'cancel', string | null>
  zone: string
  scope: OrgScope
  csrf: string
  query: { from?: string; to?: string; page?: number }
}) {
  const keep = (
    <>
      <CsrfField token={csrf} />
      <input type="hidden" name="portalSessionId" value={portal.id} />
      <input type="hidden" name="from" value={query.from ?? ''} />
      <input type="hidden" name="to" value={query.to ?? ''} />
      <input type="hidden" name="page" value={String(query.page ?? 1)} />
    </>
  )
  return (
    <tr data-portal-session={portal.id}>
      <td safe>{span(portal, zone)}</td>
      <td safe>{portal.examCode}</td>
      <td safe>{portal.centreCode}</td>
      <td safe>{portal.proctorId}</td>
      <td safe>{String(portal.seats)}</td>
      <td>
        <StatusBadge status={portal.status} />
      </td>
      <td>
        {linked ? (
          <a href={`/orgs/${scope.orgId}/exam-sessions/${linked.id}`} safe>
            {`${linked.examCode} · ${linked.status}`}
          </a>
        ) : (
          'Not in Laurel'
        )}
      </td>
      <td>
        {portal.status !== 'scheduled' ? (
          ''
        ) : refusals.confirm ? (
          <p>
            <small safe>{`Confirm: ${refusals.confirm}`}</small>
          </p>
        ) : (
          <form method="post" action={`/orgs/${scope.orgId}/portal/confirm`} class="inline">
            {keep}
            <button type="submit">Confirm</button>
          </form>
        )}
        {portal.status === 'cancelled' ? (
          ''
        ) : refusals.cancel ? (
          <p>
            <small safe>{`Cancel: ${refusals.cancel}`}</small>
          </p>
        ) : (
          <form method="post" action={`/orgs/${scope.orgId}/portal/cancel`} class="inline">
            {keep}
            <input name="reason" aria-label={`Reason for cancelling ${portal.id}`} placeholder="Reason for cancelling" required />
            <button type="submit" class="secondary">
              Cancel
            </button>
          </form>
        )}
      </td>
    </tr>
  )
}

function DriftRow({ drift, scope, csrf, zone, back }: { drift: Drift; scope: OrgScope; csrf: string; zone: string; back: Record<string, string> }) {
  const { laurel, portal } = drift
  return (
    <tr data-drift={drift.kind}>
      <td safe>{drift.kind.replaceAll('_', ' ')}</td>
      <td>
        {laurel ? (
          <>
            <a href={`/orgs/${scope.orgId}/exam-sessions/${laurel.id}`} safe>
              {`${laurel.examCode} ${span(laurel, zone)}`}
            </a>
            <br />
            <small safe>{`${laurel.seats} seats · ${laurel.status}`}</small>
          </>
        ) : (
          '—'
        )}
      </td>
      <td>
        {portal ? (
          <>
            <code safe>{portal.id}</code> <span safe>{`${portal.examCode} ${span(portal, zone)}`}</span>
            <br />
            <small safe>{`${portal.seats} seats · ${portal.status}`}</small>
          </>
        ) : (
          '—'
        )}
      </td>
      <td safe>{drift.detail}</td>
      <td>
        {drift.fixes.map((fix) => (
          <form method="post" action={`/orgs/${scope.orgId}/portal/reconcile/fix`} class="inline">
            <CsrfField token={csrf} />
            <input type="hidden" name="fix" value={fix.fix} />
            {fix.examSessionId ? <input type="hidden" name="examSessionId" value={fix.examSessionId} /> : ''}
            {fix.portalSessionId ? <input type="hidden" name="portalSessionId" value={fix.portalSessionId} /> : ''}
            {Object.entries(back).map(([name, value]) => (
              <input type="hidden" name={name} value={value} />
            ))}
            {fix.needsReason ? <input name="reason" aria-label="Reason for cancelling" placeholder="Reason for cancelling" required /> : ''}
            <button type="submit" class={fix.fix.startsWith('cancel') ? 'secondary' : undefined} safe>
              {fix.label}
            </button>
          </form>
        ))}
      </td>
    </tr>
  )
}

export async function portalRoutes(app: TypedApp): Promise<void> {
  const { platform } = app
  const home = (scope: OrgScope) => `/orgs/${scope.orgId}/portal`

  // Settings (org admins): where the portal is and how fast Laurel may call it.
  const settingsPage = async (request: FastifyRequest, reply: FastifyReply, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'admin')
    const connection = await getPortalConnection(platform, scope.orgId)
    return reply.page(
      'Testing portal settings',
      <article>
        <h1>Testing portal settings</h1>
        <p>The external testing portal your exam sessions are also kept in. Each person connects with their own portal account.</p>
        <FormErrorSummary state={state} />
        <form method="post" action={`${home(scope)}/settings`} novalidate>
          <CsrfField token={reply.csrfToken()} />
          <Field
            name="baseUrl"
            label="Portal base URL"
            type="url"
            state={state}
            value={connection?.baseUrl}
            required
            hint="e.g. https://portal.example/api/v1"
          />
          <Field
            name="requestsPerSecond"
            label="Requests per second, at most"
            type="number"
            state={state}
            value={String(connection?.requestsPerSecond ?? 10)}
            required
            hint="At or under the portal's own limit."
          />
          <button type="submit">Save</button>
        </form>
        <p>
          <a href={home(scope)}>Testing portal</a>
        </p>
      </article>,
      { orgId: scope.orgId },
    )
  }
  app.get('/orgs/:orgId/portal/settings', async (request, reply) => settingsPage(request, reply))
  app.post('/orgs/:orgId/portal/settings', async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'admin')
    const form = parseForm(SettingsFields, request.body)
    if (!form.ok) return settingsPage(request, reply.status(422), form)
    try {
      await savePortalConnection(platform, scope, form.value)
    } catch (error) {
      if (!(error instanceof InvalidError)) throw error
      return settingsPage(request, reply.status(422), {
        errors: Object.keys(error.fields).length > 0 ? error.fields : { form: error.message },
        values: form.values,
      })
    }
    reply.flash('success', 'Testing portal settings saved.')
    return reply.redirect(home(scope))
  })

  // The portal page: connect, or the portal's sessions live.
  const portalPage = async (request: FastifyRequest, reply: FastifyReply, query: Static<typeof PortalQuery>, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const connection = await getPortalConnection(platform, scope.orgId)
    const csrf = reply.csrfToken()
    const isAdmin = hasRole(scope.role, 'admin')
    const [runs, org] = await Promise.all([listPortalRuns(platform.db, scope), getOrg(platform.db, scope)])
    return reply.page(
      'Testing portal',
      <>
        <hgroup>
          <h1>Testing portal</h1>
          <p>Your exam sessions at the external testing portal, live.</p>
        </hgroup>
        <p>
          {connection ? <a href={`${home(scope)}/reconcile`}>Reconcile with Laurel</a> : ''}
          {connection && isAdmin ? ' · ' : ''}
          {isAdmin ? <a href={`${home(scope)}/settings`}>Portal settings</a> : ''}
        </p>
        <PortalBody request={request} reply={reply} scope={scope} connection={connection} timeZone={org.timeZone} csrf={csrf} state={state} query={query} />
        <RecentPortalRuns runs={runs} scope={scope} timeZone={org.timeZone} />
      </>,
      { orgId: scope.orgId },
    )
  }

  const PortalBody = async ({
    request,
    reply,
    scope,
    connection,
    timeZone,
    csrf,
    state,
    query,
  }: {
    request: FastifyRequest
    reply: FastifyReply
    scope: OrgScope
    connection: PortalConnection | null
    /** The org's: dates are entered and shown in it. */
    timeZone: string
    csrf: string
    state: FormState
    query: { from?: string; to?: string; page?: number }
  }) => {
    if (!connection) {
      return hasRole(scope.role, 'admin') ? (
        <EmptyState action={{ href: `/orgs/${scope.orgId}/portal/settings`, label: 'Set up the testing portal' }}>
          No testing portal is set up yet: enter its address to schedule exam sessions there from Laurel.
        </EmptyState>
      ) : (
        <EmptyState action={{ href: `/orgs/${scope.orgId}/members?role=admin`, label: 'See who your admins are' }}>
          No testing portal is set up yet: an organisation admin enters its address under Portal settings.
        </EmptyState>
      )
    }
    if (!(await isPortalConnected(platform, request, scope))) return <ConnectForm scope={scope} csrf={csrf} state={state} />
    const today = utcToZoned(platform.clock.now(), timeZone).slice(0, 10)
    const from = query.from || today
    const range = dayRange(from, query.to || from, timeZone)
    const page = query.page ?? 1
    let listed: { access: PortalAccess; page: PortalSessionPage } | null = null
    let problem = ''
    try {
      listed = await withPortal(platform, request, reply, scope, async (access) => ({
        access,
        page: await auditedPortalCall(platform, scope, { action: 'list', target: scope.orgId }, () =>
          access.connector.listSessions(access.token, { from: range.from, to: query.to ? range.to : undefined, page, pageSize: PORTAL_PAGE_SIZE }),
        ),
      }))
    } catch (error) {
      problem = problemOf(error)
    }
    if (!listed && !(await isPortalConnected(platform, request, scope))) {
      return <ConnectForm scope={scope} csrf={csrf} state={{ errors: { form: problem } }} />
    }
    const centres = new Map((await activeChoices(platform.db, scope)).centres.map((centre) => [centre.code, centre.timeZone]))
    const items = listed?.page.items ?? []
    const linked = new Map(
      (
        await listExamSessionsAtPortal(
          platform.db,
          scope,
          items.map((item) => item.id),
        )
      ).map((session) => [session.portalSessionId, session]),
    )
    const actor = listed?.access.actor
    const now = platform.clock.now()
    const refusalOf = (action: 'confirm' | 'cancel', session: PortalSession) => {
      const violations = listed && actor ? findRuleViolations(listed.access.connector.rules, action, session, now, actor) : []
      return violations.length > 0 ? violations.map((violation) => violation.message).join(' ') : null
    }
    const connectedAs = actor
      ? `Connected as ${actor.username}${actor.proctorId ? `, proctor ID ${actor.proctorId}` : ' (not a proctor at the portal)'}.`
      : 'Connected.'
    const pageCount = listed ? Math.max(1, Math.ceil(listed.page.total / listed.page.pageSize)) : 1
    return (
      <>
        <section id="portal-connection">
          <p safe>{connectedAs}</p>
          <form method="post" action={`${home(scope)}/disconnect`} data-confirm="Disconnect the testing portal? Your portal sign-in is wiped from Laurel.">
            <CsrfField token={csrf} />
            <button type="submit" class="secondary">
              Disconnect
            </button>
          </form>
        </section>
        {problem ? (
          <div class="flash flash-error" role="alert">
            <p safe>{problem}</p>
          </div>
        ) : (
          ''
        )}
        <form method="get" action={home(scope)} class="filters">
          <div class="grid">
            <Field name="from" label="Starting from" type="date" value={from} />
            <Field name="to" label="Until (optional)" type="date" value={query.to} />
          </div>
          <button type="submit">Filter</button>
        </form>
        {listed && items.length === 0 ? <EmptyState>The portal has no sessions in this period.</EmptyState> : ''}
        {items.length > 0 ? (
          <>
            <p safe>{`${listed?.page.total ?? 0} sessions at the portal`}</p>
            <table id="portal-sessions">
              <TableHead columns={['Starts', 'Exam', 'Centre', 'Proctor', 'Seats', 'Status', 'Laurel exam session', '']} />
              <tbody>
                {items.map((item) => (
                  <SessionRow
                    portal={item}
                    linked={linked.get(item.id)}
                    refusals={{ confirm: refusalOf('confirm', item), cancel: refusalOf('cancel', item) }}
                    zone={centres.get(item.centreCode) ?? timeZone}
                    scope={scope}
                    csrf={csrf}
                    query={{ from: query.from, to: query.to, page }}
                  />
                ))}
              </tbody>
            </table>
          </>
        ) : (
          ''
        )}
        <Pagination
          page={page}
          pageCount={pageCount}
          href={(n) => `${home(scope)}?${new URLSearchParams({ from: query.from ?? '', to: query.to ?? '', page: String(n) })}`}
        />
      </>
    )
  }

  app.get('/orgs/:orgId/portal', { schema: { querystring: PortalQuery } }, async (request, reply) => portalPage(request, reply, request.query))
  app.post('/orgs/:orgId/portal/connect', async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const body = (request.body ?? {}) as { password?: unknown }
    const form = parseForm(ConnectFields, request.body)
    const password = typeof body.password === 'string' ? body.password : ''
    const errors = { ...(form.ok ? {} : form.errors) }
    if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) errors.password = 'Enter your portal password.'
    if (!form.ok || Object.keys(errors).length > 0)
      return portalPage(request, reply.status(422), {}, { errors, values: { username: form.values.username ?? '' } })
    try {
      const actor = await connectPortal(platform, request, reply, scope, { username: form.value.username, password })
      reply.flash('success', `Connected to the testing portal as ${actor.username}.`)
      return reply.redirect(home(scope))
    } catch (error) {
      const message = problemOf(error)
      return portalPage(request, reply.status(422), {}, { errors: { password: message }, values: { username: form.value.username } })
    }
  })
  app.post('/orgs/:orgId/portal/disconnect', async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    await disconnectPortal(platform, request, reply, scope)
    reply.flash('success', 'Disconnected: your portal sign-in is wiped from Laurel.')
    return reply.redirect(home(scope))
  })
  for (const action of ['confirm', 'cancel'] as const) {
    app.post(`/orgs/:orgId/portal/${action}`, async (request, reply) => {
      const scope = scopeOf(request)
      requireRole(scope, 'staff')
      const form = parseForm(ActionFields, request.body)
      if (!form.ok) {
        reply.flash('error', Object.values(form.errors).join(' '))
        return reply.redirect(home(scope))
      }
      const { portalSessionId, reason, from, to, page } = form.value
      await flashOutcome(reply, async () => {
        await withPortal(platform, request, reply, scope, (access) => livePortalAction(platform, scope, access, action, portalSessionId, reason ?? ''))
        return action === 'confirm' ? `Portal session ${portalSessionId} is confirmed.` : `Portal session ${portalSessionId} is cancelled.`
      })
      return reply.redirect(`${home(scope)}?${new URLSearchParams({ from: from ?? '', to: to ?? '', page: String(page ?? 1) })}`)
    })
  }

  app.post('/orgs/:orgId/exam-sessions/:examSessionId/portal/create', { schema: { params: ExamSessionParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const { examSessionId } = request.params
    await getExamSessionView(platform.db, scope, examSessionId)
    await flashOutcome(reply, async () => {
      const created = await withPortal(platform, request, reply, scope, (access) => createAtPortal(platform, scope, access, examSessionId))
      return `Created at the testing portal as ${created.id}.`
    })
    return reply.redirect(`/orgs/${scope.orgId}/exam-sessions/${examSessionId}`)
  })

  // Reconciliation: Laurel's plan for one centre next to the portal's sessions, with one-click fixes.
  const reconcileHref = (scope: OrgScope, query: { centreId?: string; from?: string; to?: string }) =>
    `${home(scope)}/reconcile?${new URLSearchParams({ centreId: query.centreId ?? '', from: query.from ?? '', to: query.to ?? '' })}`

  app.get('/orgs/:orgId/portal/reconcile', { schema: { querystring: ReconcileQuery } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const { query } = request
    const { centres } = await activeChoices(platform.db, scope)
    const centre: TestCentre | undefined = query.centreId ? await getCentre(platform.db, scope, query.centreId) : centres[0]
    const csrf = reply.csrfToken()
    const zone = centre?.timeZone ?? 'UTC'
    const today = utcToZoned(platform.clock.now(), zone).slice(0, 10)
    const from = query.from || today
    const to = query.to || addDays(from, 30)
    let result: Reconciliation | null = null
    let problem = ''
    const connection = await getPortalConnection(platform, scope.orgId)
    const isConnected = connection ? await isPortalConnected(platform, request, scope) : false
    if (centre && isConnected) {
      try {
        result = await withPortal(platform, request, reply, scope, (access) => reconcile(platform, scope, access, centre, dayRange(from, to, zone)))
      } catch (error) {
        problem = problemOf(error)
      }
    }
    const back = { centreId: centre?.id ?? '', from, to }
    return reply.page(
      'Reconcile with the testing portal',
      <>
        <hgroup>
          <h1>Reconcile with the testing portal</h1>
          <p>Laurel's exam sessions of a testing centre next to the portal's sessions for that centre, matched by portal session ID.</p>
        </hgroup>
        <p>
          <a href={home(scope)}>Testing portal</a>
        </p>
        <form method="get" action={`${home(scope)}/reconcile`} class="filters">
          <div class="grid">
            <SelectField
              name="centreId"
              label="Testing centre"
              options={centres.map((choice) => ({ value: choice.id, label: `${choice.code} · ${choice.name}` }))}
              value={centre?.id}
            />
            <Field name="from" label="Starting from" type="date" value={from} />
            <Field name="to" label="Until" type="date" value={to} />
          </div>
          <button type="submit">Compare</button>
        </form>
        {!connection ? (
          <EmptyState action={{ href: home(scope), label: 'Go to the testing portal page' }}>No testing portal is set up yet.</EmptyState>
        ) : !isConnected ? (
          <EmptyState action={{ href: home(scope), label: 'Connect the testing portal' }}>Connect the testing portal to compare it with Laurel.</EmptyState>
        ) : !centre ? (
          <EmptyState action={{ href: `/orgs/${scope.orgId}/test-centres/new`, label: 'Create a testing centre' }}>No testing centres yet.</EmptyState>
        ) : problem ? (
          <div class="flash flash-error" role="alert">
            <p safe>{problem}</p>
          </div>
        ) : result && result.drifts.length === 0 ? (
          <EmptyState>
            <span
              safe
            >{`No drift: Laurel (${result.laurelCount} exam sessions) and the portal (${result.portalCount} sessions) agree for ${centre.code} in this period.`}</span>
          </EmptyState>
        ) : result ? (
          <>
            <p safe>{`${result.drifts.length} differences for ${centre.code}; times in ${zone}.`}</p>
            <table id="portal-drift">
              <TableHead columns={['Drift', 'In Laurel', 'At the portal', 'What differs', 'Fix']} />
              <tbody>
                {result.drifts.map((drift) => (
                  <DriftRow drift={drift} scope={scope} csrf={csrf} zone={zone} back={back} />
                ))}
              </tbody>
            </table>
          </>
        ) : (
          ''
        )}
      </>,
      { orgId: scope.orgId },
    )
  })

  app.post('/orgs/:orgId/portal/reconcile/fix', async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const form = parseForm(FixFields, request.body)
    if (!form.ok) {
      reply.flash('error', Object.values(form.errors).join(' '))
      return reply.redirect(`${home(scope)}/reconcile`)
    }
    const { fix, examSessionId, portalSessionId, reason } = form.value
    await flashOutcome(reply, () =>
      withPortal(platform, request, reply, scope, (access) =>
        applyFix(platform, scope, access, { fix: fix as FixKind, examSessionId, portalSessionId, reason }),
      ),
    )
    return reply.redirect(reconcileHref(scope, form.value))
  })
}
