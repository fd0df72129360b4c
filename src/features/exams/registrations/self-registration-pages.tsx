import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ConflictError, ForbiddenError, InvalidError } from '../../../platform/errors.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../../platform/http/auth.ts'
import { utcToZoned } from '../../../platform/time-zones.ts'
import { CsrfField, EmptyState, PurposeNotice, TableHead } from '../../../platform/ui/components.tsx'
import { verifiedEmailsOf } from '../../identity/service.ts'
import { listMyRegistrations, listOpenExamSessions, type MyRegistration, selfRegister, withdrawRegistration } from './self-registration.ts'

const Param = Type.String({ maxLength: 64 })
export const OpenSessionsParams = Type.Object({ hostOrgId: Param })
export const OpenSessionParams = Type.Object({ hostOrgId: Param, examSessionId: Param })
export const MyRegistrationParams = Type.Object({ registrationId: Param })
/** The address to register with, one of the candidate's verified ones (their sign-in address when absent). */
const registerSchema = { params: OpenSessionParams, body: Type.Object({ email: Type.Optional(Type.String()) }) }

/** The page where anyone signed in finds an org's exam sessions open for registration by candidates. */
export const openSessionsPath = (orgId: string) => `/exam-sessions/open/${orgId}`
export const MY_REGISTRATIONS = '/me/exam-registrations'

/** "2026-12-01 09:00–10:00 (Europe/London)": exam session times are shown in their centre's time zone. */
export function localSpan(session: { startsAt: Date; endsAt: Date; timeZone: string }): string {
  const start = utcToZoned(session.startsAt, session.timeZone).replace('T', ' ')
  const end = utcToZoned(session.endsAt, session.timeZone).replace('T', ' ')
  return `${start}–${end.slice(0, 10) === start.slice(0, 10) ? end.slice(11) : end} (${session.timeZone})`
}

const placeOf = (row: Pick<MyRegistration, 'status' | 'waitlistPosition'>) =>
  row.status === 'seated' ? 'Seated' : `Waitlist, number ${row.waitlistPosition ?? '?'}`

/** Signed in through the browser: registering and withdrawing are the person's own acts, not an API key's. */
async function requireLoginSession(request: FastifyRequest, reply: FastifyReply) {
  await requireSignedIn(request, reply)
  if (reply.sent) return
  if (request.auth?.apiKey) throw new ForbiddenError('login_session_required', 'Sign in to register for exam sessions; API keys cannot.')
}

/** Runs a candidate's action and goes on to `next` (or back to `back` when refused), with what happened or what stopped it. */
async function act(reply: FastifyReply, where: { next: string; back: string }, work: () => Promise<string>) {
  try {
    reply.flash('success', await work())
    return reply.redirect(where.next)
  } catch (error) {
    if (!(error instanceof InvalidError || error instanceof ConflictError)) throw error
    reply.flash('error', error.message)
    return reply.redirect(where.back)
  }
}

export async function selfRegistrationRoutes(app: TypedApp): Promise<void> {
  const { platform } = app
  const guard = { preHandler: requireLoginSession }

  app.get('/exam-sessions/open/:hostOrgId', { ...guard, schema: { params: OpenSessionsParams } }, async (request, reply) => {
    const auth = signedInAuth(request)
    const { hostOrgId } = request.params
    const { orgName, sessions } = await listOpenExamSessions(platform, hostOrgId, auth.accountId)
    const emails = await verifiedEmailsOf(platform, auth.accountId)
    const mine = new Map((await listMyRegistrations(platform, auth.accountId)).map((row) => [row.examSessionId, row]))
    const csrf = reply.csrfToken()
    return reply.page(
      `Exam sessions of ${orgName}`,
      <>
        <hgroup>
          <h1 safe>{`Exam sessions of ${orgName}`}</h1>
          <p>Exam sessions you can register for yourself. When the seats are taken you join the waitlist, and move up as others withdraw.</p>
        </hgroup>
        <PurposeNotice
          purpose={`Registering gives ${orgName} your name and the email address you choose, to seat you, tell you about the exam session and issue your result.`}
        />
        {emails.length === 0 ? (
          <p class="flash flash-error">
            Confirm your email address first: registrations go to a confirmed address. <a href="/account/emails">Your addresses</a>
          </p>
        ) : (
          ''
        )}
        {sessions.length === 0 ? (
          <EmptyState>No exam session is open for registration right now.</EmptyState>
        ) : (
          <table id="open-exam-sessions">
            <TableHead columns={['Exam', 'When', 'Where', 'Seats', '']} />
            <tbody>
              {sessions.map((session) => {
                const free = Math.max(0, session.seats - session.seated)
                const registered = mine.get(session.id)
                return (
                  <tr data-exam-session={session.id}>
                    <td safe>{`${session.examCode} · ${session.examTitle}`}</td>
                    <td>
                      <span safe>{localSpan(session)}</span>
                      {session.selfRegistrationClosesAt ? (
                        <>
                          <br />
                          <small safe>{`Registration closes ${utcToZoned(session.selfRegistrationClosesAt, session.timeZone).replace('T', ' ')}`}</small>
                        </>
                      ) : (
                        ''
                      )}
                    </td>
                    <td safe>{`${session.centreName} · ${session.roomName}`}</td>
                    <td safe>
                      {free > 0
                        ? `${free} of ${session.seats} free`
                        : `Full${session.waitlisted > 0 ? `, ${session.waitlisted} on the waitlist` : ''}: you would join the waitlist`}
                    </td>
                    <td class="actions">
                      {registered ? (
                        <a href={MY_REGISTRATIONS} safe>{`Registered: ${placeOf(registered)}`}</a>
                      ) : emails.length > 0 ? (
                        <form method="post" action={`${openSessionsPath(hostOrgId)}/${session.id}/register`} class="inline">
                          <CsrfField token={csrf} />
                          {emails.length === 1 ? (
                            <input type="hidden" name="email" value={emails[0]} />
                          ) : (
                            <select name="email" aria-label="Register with the address">
                              {emails.map((email) => (
                                <option value={email} safe>
                                  {email}
                                </option>
                              ))}
                            </select>
                          )}
                          <button type="submit">{free > 0 ? 'Register' : 'Join the waitlist'}</button>
                        </form>
                      ) : (
                        ''
                      )}
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        )}
        <p>
          You register as <strong safe>{auth.name}</strong>. <a href={MY_REGISTRATIONS}>My exam registrations</a>
        </p>
      </>,
    )
  })

  app.post('/exam-sessions/open/:hostOrgId/:examSessionId/register', { ...guard, schema: registerSchema }, async (request, reply) => {
    const auth = signedInAuth(request)
    const { hostOrgId, examSessionId } = request.params
    const { email } = request.body
    const chosen = email !== undefined && email.length <= 254 ? email : auth.email
    return act(reply, { next: MY_REGISTRATIONS, back: openSessionsPath(hostOrgId) }, async () => {
      const row = await selfRegister(platform, { accountId: auth.accountId, name: auth.name }, hostOrgId, examSessionId, chosen)
      return row.status === 'seated'
        ? `You are registered, with a seat, as ${row.name} (${row.email}).`
        : `The exam session is full: you are on its waitlist, as ${row.name} (${row.email}).`
    })
  })

  app.get(MY_REGISTRATIONS, guard, async (request, reply) => {
    const auth = signedInAuth(request)
    const rows = await listMyRegistrations(platform, auth.accountId)
    const csrf = reply.csrfToken()
    return reply.page(
      'My exam registrations',
      <>
        <h1>My exam registrations</h1>
        <p>Exam sessions you are registered for under any of your confirmed addresses, the latest first.</p>
        {rows.length === 0 ? (
          <EmptyState>You are not registered for any exam session.</EmptyState>
        ) : (
          <table id="my-exam-registrations">
            <TableHead columns={['Exam', 'When', 'Where', 'Your place', '']} />
            <tbody>
              {rows.map((row) => (
                <tr data-registration={row.id}>
                  <td>
                    <span safe>{`${row.examCode} · ${row.examTitle}`}</span>
                    <br />
                    <small safe>{`${row.orgName} · ${row.name} · ${row.email}`}</small>
                  </td>
                  <td safe>{`${localSpan(row)}${row.sessionStatus === 'scheduled' || row.sessionStatus === 'confirmed' ? '' : ` · ${row.sessionStatus}`}`}</td>
                  <td safe>{`${row.centreName} · ${row.roomName}`}</td>
                  <td safe>
                    {`${placeOf(row)}${row.checkedInAt ? ' · checked in' : ''}${row.passed === null ? '' : row.passed ? ' · passed' : ' · not passed'}`}
                  </td>
                  <td class="actions">
                    {row.withdrawRefusal === null ? (
                      <form method="post" action={`${MY_REGISTRATIONS}/${row.id}/withdraw`} class="inline">
                        <CsrfField token={csrf} />
                        <button type="submit" class="secondary outline">
                          Withdraw
                        </button>
                      </form>
                    ) : (
                      ''
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </>,
    )
  })

  app.post(`${MY_REGISTRATIONS}/:registrationId/withdraw`, { ...guard, schema: { params: MyRegistrationParams } }, async (request, reply) => {
    const auth = signedInAuth(request)
    const { registrationId } = request.params
    return act(reply, { next: MY_REGISTRATIONS, back: MY_REGISTRATIONS }, async () => {
      await withdrawRegistration(platform, auth.accountId, registrationId)
      return 'You are withdrawn from the exam session.'
    })
  })
}
