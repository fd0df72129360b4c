import type { FastifyReply, FastifyRequest } from 'fastify'
import type { TypedApp } from '../../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../../platform/http/auth.ts'
import { parseForm } from '../../../platform/http/forms.ts'
import { isRestricted } from '../../../platform/privacy/restrictions.ts'
import { CsrfField, EmptyState, FormErrorSummary, type FormState, TableHead } from '../../../platform/ui/components.tsx'
import { verifiedEmailsOf } from '../../identity/service.ts'
import { listOrgsForAccount } from '../../orgs/service.ts'
import { OwnRequestForm } from './contract.ts'
import type { RequestType } from './schema.ts'
import { liftOwnRestriction, listOwnRequests, submitOwnRequest, TYPE_LABELS } from './service.ts'
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

/**
 * "My privacy": the person's requests and the buttons to make new ones, how to correct their data.
 * Other parts of the privacy center add their sections (data download, consents) where marked.
 */
export async function myPrivacyPage(app: TypedApp): Promise<void> {
  const { platform } = app

  await app.register(async (account: TypedApp) => {
    account.addHook('preHandler', requireSignedIn)

    const page = async (request: FastifyRequest, reply: FastifyReply, state: FormState = {}) => {
      const auth = signedInAuth(request)
      const [requests, orgs, restricted] = await Promise.all([
        listOwnRequests(platform.db, auth.accountId, await verifiedEmailsOf(platform, auth.accountId)),
        listOrgsForAccount(platform, auth.accountId),
        isRestricted(platform.db, auth.email),
      ])
      const csrf = reply.csrfToken()
      const recipients = [{ id: '', name: 'The operator of this site (every organisation)' }, ...orgs]
      return reply.page(
        'My privacy',
        <>
          <h1>My privacy</h1>
          <FormErrorSummary state={state} />
          {/* The data-download section (privacy-center/export) goes here. */}
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
                      <td safe>{one.receivedAt.toISOString().slice(0, 10)}</td>
                      <td>
                        <span class="badge" safe>
                          {STATUS_LABELS[one.status]}
                        </span>
                      </td>
                      <td safe>{one.dueAt.toISOString().slice(0, 10)}</td>
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
          {/* The consents section (privacy-center/consent) goes here. */}
        </>,
      )
    }

    account.get('/account/privacy', async (request, reply) => page(request, reply))

    account.post('/account/privacy/restriction/lift', async (request, reply) => {
      const wasLifted = await liftOwnRestriction(platform, signedInAuth(request))
      reply.flash('success', wasLifted ? 'The restriction is lifted: processing of your data resumes.' : 'There was no restriction to lift.')
      return reply.redirect('/account/privacy')
    })

    account.post('/account/privacy/requests', async (request, reply) => {
      const form = parseForm(OwnRequestForm, request.body)
      if (!form.ok) return page(request, reply.status(422), form)
      const { type, orgId } = form.value
      const isConfirmed = (request.body as { confirm?: unknown }).confirm === 'yes'
      if (type === 'erasure' && !isConfirmed) return confirmErasurePage(reply, orgId ?? '')
      await submitOwnRequest(platform, signedInAuth(request), { orgId: orgId || null, type, details: form.value.details ?? null })
      reply.flash('success', `Your request (${TYPE_LABELS[type].toLowerCase()}) is in progress. You see its status and deadline here.`)
      return reply.redirect('/account/privacy')
    })
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
