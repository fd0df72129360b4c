import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { InvalidError } from '../../platform/errors.ts'
import type { TypedApp } from '../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../platform/http/auth.ts'
import { parseForm } from '../../platform/http/forms.ts'
import { AUTH_RATE_LIMIT } from '../../platform/http/server.tsx'
import { CsrfField, Field, FormErrorSummary, type FormState, PurposeNotice, TableHead } from '../../platform/ui/components.tsx'
import { EmailForm } from './contract.ts'
import { addAccountEmail, listAccountEmails, MAX_EMAILS_PER_ACCOUNT, makeAccountEmailPrimary, removeAccountEmail, verifyAccountEmail } from './emails.ts'
import { withFormErrors } from './form-helpers.ts'

const TokenQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) })
const EmailParams = Type.Object({ id: Type.String({ maxLength: 64 }) })
const formatDate = (date: Date) => date.toISOString().slice(0, 10)

/** An account's email addresses: add (verified by an emailed link), remove, make one the sign-in address. */
export async function emailPages(app: TypedApp): Promise<void> {
  const { platform } = app

  // Opened from the email, perhaps in a browser where the person is not signed in.
  app.get('/account/emails/verify', { schema: { querystring: TokenQuery } }, async (request, reply) => {
    const { token } = request.query
    if (!token) throw new InvalidError('link_invalid', 'This link is incomplete. Copy the whole link from the email.')
    const { email } = await verifyAccountEmail(platform, token)
    reply.flash('success', `${email} is confirmed and added to your account.`)
    return reply.redirect(request.auth ? '/account/emails' : '/sign-in')
  })

  await app.register(async (account: TypedApp) => {
    account.addHook('preHandler', requireSignedIn)

    const emailsPage = async (request: FastifyRequest, reply: FastifyReply, state: FormState = {}) => {
      const entries = await listAccountEmails(platform.db, signedInAuth(request).accountId)
      const csrf = reply.csrfToken()
      return reply.page(
        'Email addresses',
        <>
          <h1>Email addresses</h1>
          <p>
            You sign in with your primary address. Credentials sent to any confirmed address appear under <a href="/me/credentials">My credentials</a>.
          </p>
          <table id="email-addresses">
            <TableHead columns={['Address', 'State', '']} />
            <tbody>
              {entries.map((entry) => (
                <tr>
                  <td safe>{entry.email}</td>
                  <td>
                    {entry.isPrimary ? <span class="badge">Primary</span> : ''}{' '}
                    <span>{entry.verifiedAt ? `confirmed ${formatDate(entry.verifiedAt)}` : 'waiting for confirmation'}</span>
                  </td>
                  <td class="actions">
                    {entry.id && entry.verifiedAt ? (
                      <form method="post" action={`/account/emails/${entry.id}/primary`} class="inline">
                        <CsrfField token={csrf} />
                        <button type="submit" class="secondary outline">
                          Make primary
                        </button>
                      </form>
                    ) : (
                      ''
                    )}{' '}
                    {entry.id ? (
                      <form method="post" action={`/account/emails/${entry.id}/remove`} class="inline" data-confirm="Remove this address from your account?">
                        <CsrfField token={csrf} />
                        <button type="submit" class="secondary outline">
                          Remove
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
          <article>
            <h2>Add an address</h2>
            <p>{`We email it a link; it is added once you open the link. Up to ${MAX_EMAILS_PER_ACCOUNT} addresses.`}</p>
            <FormErrorSummary state={state} />
            <form method="post" action="/account/emails" novalidate>
              <CsrfField token={csrf} />
              <Field name="email" label="Email" type="email" autocomplete="email" required state={state} />
              <PurposeNotice purpose="A further address lets you claim the credentials sent to it; you keep signing in with your main address. We email it a confirmation link." />
              <button type="submit">Send confirmation link</button>
            </form>
          </article>
        </>,
      )
    }
    account.get('/account/emails', async (request, reply) => emailsPage(request, reply))
    account.post('/account/emails', { config: { rateLimit: AUTH_RATE_LIMIT } }, async (request, reply) => {
      const form = parseForm(EmailForm, request.body)
      if (!form.ok) return emailsPage(request, reply.status(422), form)
      return withFormErrors(
        reply,
        form.values,
        async () => {
          await addAccountEmail(platform, signedInAuth(request).accountId, form.value.email)
          reply.flash('info', `We sent a link to ${form.value.email}. Open it to add the address.`)
          return reply.redirect('/account/emails')
        },
        (state) => emailsPage(request, reply, state),
      )
    })
    account.post('/account/emails/:id/remove', { schema: { params: EmailParams } }, async (request, reply) => {
      await removeAccountEmail(platform, signedInAuth(request).accountId, request.params.id)
      reply.flash('success', 'The address is removed.')
      return reply.redirect('/account/emails')
    })
    account.post('/account/emails/:id/primary', { schema: { params: EmailParams } }, async (request, reply) => {
      await makeAccountEmailPrimary(platform, signedInAuth(request).accountId, request.params.id)
      reply.flash('success', 'Your primary address is changed: sign in with it from now on.')
      return reply.redirect('/account/emails')
    })
  })
}
