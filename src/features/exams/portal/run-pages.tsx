import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ConflictError, InvalidError } from '../../../platform/errors.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import type { Platform } from '../../../platform/platform.ts'
import { utcToZoned } from '../../../platform/time-zones.ts'
import { CsrfField, EmptyState, JobProgress, TableHead } from '../../../platform/ui/components.tsx'
import { type OrgScope, requireRole, scopeOf } from '../../orgs/service.ts'
import { type ExamSessionView, getExamSessionViews } from '../sessions/sessions.ts'
import type { PortalAction } from './connector.ts'
import { openPortal, type PortalAccess } from './interactive.ts'
import {
  countPortalRunItems,
  getPortalRun,
  isRunFinished,
  listPortalRunItems,
  type PortalRun,
  type PortalRunCounts,
  type PortalRunPreview,
  previewPortalRun,
  startPortalRun,
  stopPortalRun,
} from './runs.ts'

export const PortalRunParams = Type.Object({ orgId: Type.String({ maxLength: 64 }), portalRunId: Type.String({ maxLength: 64 }) })

const ACTIONS: Record<PortalAction, { verb: string; button: string; done: string }> = {
  create: { verb: 'create', button: 'Create at portal', done: 'Creating at the testing portal' },
  confirm: { verb: 'confirm', button: 'Confirm at portal', done: 'Confirming at the testing portal' },
  cancel: { verb: 'cancel', button: 'Cancel at portal', done: 'Cancelling at the testing portal' },
}

const runsBase = (scope: { orgId: string }) => `/orgs/${scope.orgId}/portal-runs`
export const portalPageHref = (scope: { orgId: string }) => `/orgs/${scope.orgId}/portal`

/** A link to an exam session, named by exam, centre and room (by its ID when it is no longer there). */
function SessionLink(props: { orgId: string; sessionId: string; view: Pick<ExamSessionView, 'examCode' | 'centreCode' | 'roomName'> | undefined }) {
  const { view } = props
  return (
    <a href={`/orgs/${props.orgId}/exam-sessions/${props.sessionId}`} safe>
      {view ? `${view.examCode} · ${view.centreCode} ${view.roomName}` : props.sessionId}
    </a>
  )
}

const span = (session: Pick<ExamSessionView, 'startsAt' | 'timeZone'>) =>
  `${utcToZoned(session.startsAt, session.timeZone).replace('T', ' ')} (${session.timeZone})`

/** The org's latest portal runs, newest first, each linking to its run page; times in the org's time zone. */
export function RecentPortalRuns({ runs, scope, timeZone }: { runs: PortalRun[]; scope: OrgScope; timeZone: string }) {
  if (runs.length === 0) return ''
  return (
    <table id="portal-runs">
      <caption>Recent portal runs</caption>
      <TableHead columns={['Started', 'Action', 'Exam sessions', 'State']} />
      <tbody>
        {runs.map((run) => (
          <tr data-state={run.state}>
            <td>
              <a href={`${runsBase(scope)}/${run.id}`} safe>
                {utcToZoned(run.createdAt, timeZone).replace('T', ' ')}
              </a>
            </td>
            <td safe>{ACTIONS[run.action].verb}</td>
            <td safe>{String(run.total)}</td>
            <td>{run.state}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The user's connected portal for this request, or null (not connected, or the org has no portal any more). */
export async function portalAccessOf(platform: Platform, request: FastifyRequest, reply: FastifyReply, scope: OrgScope): Promise<PortalAccess | null> {
  try {
    return await openPortal(platform, request, reply, scope)
  } catch (error) {
    if (error instanceof InvalidError) return null
    throw error
  }
}

/** Says to connect first, with the link to the portal page. */
export function ConnectFirst({ scope, what }: { scope: { orgId: string }; what: string }) {
  return (
    <p class="flash flash-error">
      <span safe>{`To ${what}, connect to the testing portal first: `}</span>
      <a href={portalPageHref(scope)}>connect the portal</a>.
    </p>
  )
}

/** The selection buttons of the exam session list that send the checked exam sessions to the portal (through a preview). */
export function PortalSelectionActions({ scope }: { scope: { orgId: string } }) {
  return (
    <div role="group" aria-label="Testing portal">
      {(['create', 'confirm', 'cancel'] as const).map((action) => (
        <button type="submit" class="outline" name="portalAction" value={action} formaction={`${runsBase(scope)}/preview`} safe>
          {ACTIONS[action].button}
        </button>
      ))}
    </div>
  )
}

function readSelection(body: unknown): { action: PortalAction; ids: string[]; reason: string } {
  const fields = (body ?? {}) as { ids?: unknown; portalAction?: unknown; reason?: unknown }
  const action = fields.portalAction
  if (action !== 'create' && action !== 'confirm' && action !== 'cancel') throw new InvalidError('portal_action', 'Choose create, confirm or cancel.')
  const ids = [fields.ids ?? []].flat().filter((id): id is string => typeof id === 'string' && id.length > 0 && id.length <= 64)
  return { action, ids, reason: typeof fields.reason === 'string' ? fields.reason : '' }
}

function PreviewBody({ scope, preview, csrf }: { scope: OrgScope; preview: PortalRunPreview; csrf: string }) {
  const { verb } = ACTIONS[preview.action]
  return (
    <>
      <h1 safe>{`${ACTIONS[preview.action].button}: check before sending`}</h1>
      <p>Nothing has been sent yet. Exam sessions that break one of the portal's rules are listed with the rule and are never sent.</p>
      <ul>
        <li safe>{`${preview.toSend.length} will be sent to ${verb}`}</li>
        <li safe>{`${preview.refused.length} break a rule (not sent)`}</li>
        {preview.action === 'cancel' ? <li safe>{`Reason: ${preview.reason}`}</li> : ''}
      </ul>
      {preview.refused.length > 0 ? (
        <table id="portal-refused">
          <caption>Not sent: they break a rule</caption>
          <TableHead columns={['Exam session', 'Starts', 'Rule', 'Why']} />
          <tbody>
            {preview.refused.map(({ session, violations }) => (
              <tr>
                <td>
                  <SessionLink orgId={scope.orgId} sessionId={session.id} view={session} />
                </td>
                <td safe>{span(session)}</td>
                <td>
                  <code safe>{violations.map((violation) => violation.rule).join(', ')}</code>
                </td>
                <td safe>{violations.map((violation) => violation.message).join(' ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        ''
      )}
      {preview.toSend.length > 0 ? (
        <>
          <table id="portal-to-send">
            <caption safe>{`Will be sent to ${verb}`}</caption>
            <TableHead columns={['Exam session', 'Starts', 'Portal session']} />
            <tbody>
              {preview.toSend.map((session) => (
                <tr>
                  <td>
                    <SessionLink orgId={scope.orgId} sessionId={session.id} view={session} />
                  </td>
                  <td safe>{span(session)}</td>
                  <td safe>{session.portalSessionId ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <form method="post" action={runsBase(scope)}>
            <CsrfField token={csrf} />
            <input type="hidden" name="portalAction" value={preview.action} />
            {preview.action === 'cancel' ? <input type="hidden" name="reason" value={preview.reason} /> : ''}
            {preview.toSend.map((session) => (
              <input type="hidden" name="ids" value={session.id} />
            ))}
            <button type="submit" safe>{`Confirm: ${verb} ${preview.toSend.length} at the portal`}</button>
          </form>
        </>
      ) : (
        <p>Nothing can be sent.</p>
      )}
      <p>
        <a href={`/orgs/${scope.orgId}/exam-sessions`}>Back to the exam sessions</a>
      </p>
    </>
  )
}

function RunProgress({ scope, run, counts }: { scope: OrgScope; run: PortalRun; counts: PortalRunCounts }) {
  return (
    <JobProgress
      jobId={run.id}
      title={ACTIONS[run.action].done}
      state={run.state}
      done={run.total - counts.pending}
      total={run.total}
      message={run.message ?? `${counts.done} done, ${counts.failed} failed, ${counts.skipped} skipped`}
      pollUrl={`${runsBase(scope)}/${run.id}/progress`}
    />
  )
}

export async function portalRunRoutes(app: TypedApp) {
  const platform = app.platform

  app.post('/orgs/:orgId/portal-runs/preview', async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const back = `/orgs/${scope.orgId}/exam-sessions`
    const access = await portalAccessOf(platform, request, reply, scope)
    if (!access) {
      return reply.page('Connect the testing portal', <ConnectFirst scope={scope} what="send exam sessions to the testing portal" />, { orgId: scope.orgId })
    }
    try {
      const selection = readSelection(request.body)
      const preview = await previewPortalRun(platform, scope, access, { action: selection.action, examSessionIds: selection.ids, reason: selection.reason })
      return reply.page('Check before sending', <PreviewBody scope={scope} preview={preview} csrf={reply.csrfToken()} />, { orgId: scope.orgId })
    } catch (error) {
      if (!(error instanceof InvalidError)) throw error
      reply.flash('error', error.message)
      return reply.redirect(back)
    }
  })

  app.post('/orgs/:orgId/portal-runs', async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const access = await portalAccessOf(platform, request, reply, scope)
    if (!access) {
      return reply.page('Connect the testing portal', <ConnectFirst scope={scope} what="send exam sessions to the testing portal" />, { orgId: scope.orgId })
    }
    try {
      const selection = readSelection(request.body)
      const run = await startPortalRun(platform, scope, access, { action: selection.action, examSessionIds: selection.ids, reason: selection.reason })
      return reply.redirect(`${runsBase(scope)}/${run.id}`)
    } catch (error) {
      if (!(error instanceof InvalidError || error instanceof ConflictError)) throw error
      reply.flash('error', error.message)
      return reply.redirect(`/orgs/${scope.orgId}/exam-sessions`)
    }
  })

  app.get('/orgs/:orgId/portal-runs/:portalRunId', { schema: { params: PortalRunParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const { portalRunId } = request.params
    const run = await getPortalRun(platform.db, scope, portalRunId)
    const [counts, items] = await Promise.all([countPortalRunItems(platform.db, scope, run.id), listPortalRunItems(platform.db, scope, run.id)])
    const views = await getExamSessionViews(
      platform.db,
      scope,
      items.map((item) => item.examSessionId),
    )
    return reply.page(
      ACTIONS[run.action].done,
      <>
        <hgroup>
          <h1 safe>{ACTIONS[run.action].done}</h1>
          <p safe>{`${run.total} exam sessions${run.cancelReason ? ` · reason: ${run.cancelReason}` : ''}`}</p>
        </hgroup>
        <RunProgress scope={scope} run={run} counts={counts} />
        {isRunFinished(run.state) ? (
          ''
        ) : (
          <form method="post" action={`${runsBase(scope)}/${run.id}/stop`}>
            <CsrfField token={reply.csrfToken()} />
            <button type="submit" class="secondary" disabled={run.state === 'cancelling'}>
              {run.state === 'cancelling' ? 'Stopping…' : 'Stop run'}
            </button>
          </form>
        )}
        {items.length === 0 ? (
          <EmptyState>No exam sessions in this run.</EmptyState>
        ) : (
          <table id="portal-run-items">
            <TableHead columns={['Exam session', 'Starts', 'Result', 'Rule', 'Message', 'Portal session']} />
            <tbody>
              {items.map((item) => {
                const view = views.get(item.examSessionId)
                return (
                  <tr data-state={item.state}>
                    <td>
                      <SessionLink orgId={scope.orgId} sessionId={item.examSessionId} view={view} />
                    </td>
                    <td>{view ? span(view) : ''}</td>
                    <td>{item.state}</td>
                    <td>{item.rule ? <code safe>{item.rule}</code> : ''}</td>
                    <td safe>{item.message ?? ''}</td>
                    <td safe>{item.portalSessionId ?? ''}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        )}
        <p>
          <a href={`/orgs/${scope.orgId}/exam-sessions`}>All exam sessions</a>
        </p>
      </>,
      { orgId: scope.orgId },
    )
  })

  app.get('/orgs/:orgId/portal-runs/:portalRunId/progress', { config: { skipAudit: true }, schema: { params: PortalRunParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const run = await getPortalRun(platform.db, scope, request.params.portalRunId)
    const counts = await countPortalRunItems(platform.db, scope, run.id)
    const html = await (<RunProgress scope={scope} run={run} counts={counts} />)
    // When the run is over, reload the page once so the results table and buttons show the end state.
    if (isRunFinished(run.state)) reply.header('hx-refresh', 'true')
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html)
  })

  app.post('/orgs/:orgId/portal-runs/:portalRunId/stop', { schema: { params: PortalRunParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    const { portalRunId } = request.params
    await stopPortalRun(platform, scope, portalRunId)
    reply.flash('success', 'Stopping: exam sessions not yet sent will not be sent.')
    return reply.redirect(`${runsBase(scope)}/${portalRunId}`)
  })
}
