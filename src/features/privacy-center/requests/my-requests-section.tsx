import type { FastifyReply } from 'fastify'
import { InvalidError } from '../../../platform/errors.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import type { RequestAuth } from '../../../platform/http/auth.ts'
import { signedInAuth } from '../../../platform/http/auth.ts'
import { parseForm } from '../../../platform/http/forms.ts'
import type { Platform } from '../../../platform/platform.ts'
import { isRestricted } from '../../../platform/privacy/restrictions.ts'
import { CsrfField, EmptyState, TableHead } from '../../../platform/ui/components.tsx'
import { verifiedEmailsOf } from '../../identity/service.ts'
import { listOrgsForAccount } from '../../orgs/service.ts'
import { OwnRequestForm } from './contract.ts'
import { localDay } from './deadline.ts'
import type { RequestType } from './schema.ts'
import { calendarsOf, liftOwnRestriction, listOwnRequests, submitOwnRequest, TYPE_LABELS } from './service.ts'
import { STATUS_LABELS } from './state-machine.ts'

const ASKABLE: { type: RequestType; button: string; explains: string }[] = [
  { type: 'erasure', button: 'Request erasure', explains: 'Erase your account and the data held about you. You can no longer sign in afterwards.' },
  { type: 'restriction', button: 'Request restriction', explains: 'Keep your data but stop using it: no emails, analytics or directory listing.' },
  { type: 'objection', button: 'Object to processing', explains: 'Stop using your data for the organisation’s own interests, such as marketing.' },
]

/** Where each piece of a person's data can be corrected by themselves. */
const CORRECTIONS = [
  { href: '/account', label: 'Your name' },
  { href: '/account/emails', label: 'Your email addresses' },
  { href: '/me/exam-registrations', label: 'Your exam registrations' },
  { href: '/me/credentials', label: 'Your credentials (a wrong name on one: ask its issuer below, as a correction request)' },
]

/** My privacy's "Your requests": the person's requests with status and due date, and buttons to make new ones. */
export async function MyRequestsSection({ platform, auth, csrf }: { platform: Platform; auth: RequestAuth; csrf: string }) {
  const [requests, orgs, restricted] = await Promise.all([
    listOwnRequests(platform.db, auth.accountId, await verifiedEmailsOf(platform, auth.accountId)),
    listOrgsForAccount(platform, auth.accountId),
    isRestricted(platform.db, auth.email),
  ])
  const calendars = await calendarsOf(
    platform.db,
    requests.map((one) => one.orgId),
  )
  const dayOf = (instant: Date, orgId: string | null) => localDay(instant, calendars.get(orgId)?.timeZone ?? 'UTC')
  const recipients = [{ id: '', name: 'The operator of this site (every organisation)' }, ...orgs]
  return (
    <section>
      <h2>Your requests</h2>
      {requests.length === 0 ? (
        <EmptyState>You have made no privacy request.</EmptyState>
      ) : (
        <table>
          <TableHead columns={['Request', 'Received', 'Status', 'Answer due by', 'Outcome']} />
          <tbody>
            {requests.map((one) => (
              <tr>
                <td safe>{TYPE_LABELS[one.type]}</td>
                <td safe>{dayOf(one.receivedAt, one.orgId)}</td>
                <td>
                  <span class="badge" safe>
                    {STATUS_LABELS[one.status]}
                  </span>
                </td>
                <td safe>{dayOf(one.dueAt, one.orgId)}</td>
                <td safe>{one.outcome ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {restricted ? (
        <form method="post" action="/account/privacy/restriction/lift" data-confirm="Let processing of your data resume?">
          <CsrfField token={csrf} />
          <p>Processing of your data is restricted at your request.</p>
          <button type="submit" class="secondary">
            Lift my restriction
          </button>
        </form>
      ) : (
        ''
      )}
      <div class="grid">
        {ASKABLE.map((askable) => (
          <form method="post" action="/account/privacy/requests">
            <CsrfField token={csrf} />
            <input type="hidden" name="type" value={askable.type} />
            <p safe>{askable.explains}</p>
            <label>
              Send to
              <select name="orgId">
                {recipients.map((recipient) => (
                  <option value={recipient.id} safe>
                    {recipient.name}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" class={askable.type === 'erasure' ? 'secondary' : undefined} safe>
              {askable.button}
            </button>
          </form>
        ))}
      </div>
    </section>
  )
}

export function CorrectYourDataSection() {
  return (
    <section>
      <h2>Correct your data</h2>
      <ul>
        {CORRECTIONS.map((correction) => (
          <li>
            <a href={correction.href} safe>
              {correction.label}
            </a>
          </li>
        ))}
      </ul>
      <p>
        Anything else wrong? <a href="/privacy/request">Send a correction request</a>.
      </p>
    </section>
  )
}

/** The forms of the requests section: make a request (erasure confirmed first), lift one's own restriction. */
export async function myRequestActions(account: TypedApp): Promise<void> {
  const { platform } = account

  account.post('/account/privacy/restriction/lift', async (request, reply) => {
    const wasLifted = await liftOwnRestriction(platform, signedInAuth(request))
    reply.flash('success', wasLifted ? 'The restriction is lifted: processing of your data resumes.' : 'There was no restriction to lift.')
    return reply.redirect('/account/privacy')
  })

  account.post('/account/privacy/requests', async (request, reply) => {
    const form = parseForm(OwnRequestForm, request.body)
    if (!form.ok) throw new InvalidError('invalid_request', Object.values(form.errors).join(' '), form.errors)
    const { type, orgId } = form.value
    const isConfirmed = (request.body as { confirm?: unknown }).confirm === 'yes'
    if (type === 'erasure' && !isConfirmed) return confirmErasurePage(reply, orgId ?? '')
    await submitOwnRequest(platform, signedInAuth(request), { orgId: orgId || null, type, details: form.value.details ?? null })
    reply.flash('success', `Your request (${TYPE_LABELS[type].toLowerCase()}) is in progress. You see its status and deadline here.`)
    return reply.redirect('/account/privacy')
  })
}

function confirmErasurePage(reply: FastifyReply, orgId: string) {
  return reply.page(
    'Request erasure',
    <article class="narrow">
      <h1>Request erasure?</h1>
      <p>
        Once staff complete it, your account and the data held about you are erased: you can no longer sign in, and this cannot be undone. Certificates issued
        to you keep only what is needed to verify them.
      </p>
      <form method="post" action="/account/privacy/requests">
        <CsrfField token={reply.csrfToken()} />
        <input type="hidden" name="type" value="erasure" />
        <input type="hidden" name="orgId" value={orgId} />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit">Yes, request erasure</button> <a href="/account/privacy">Cancel</a>
      </form>
    </article>,
  )
}
