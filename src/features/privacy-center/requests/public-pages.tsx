import type { FastifyReply } from 'fastify'
import { InvalidError, TooManyError } from '../../../platform/errors.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import { parseForm } from '../../../platform/http/forms.ts'
import { AUTH_RATE_LIMIT } from '../../../platform/http/server.tsx'
import { CsrfField, Field, FormErrorSummary, type FormState, SelectField } from '../../../platform/ui/components.tsx'
import { PublicRequestForm, PublicRequestQuery, TokenQuery } from './contract.ts'
import { localDay } from './deadline.ts'
import { REQUEST_TYPES } from './schema.ts'
import { calendarOf, confirmPublicRequest, requestForToken, submitPublicRequest, TYPE_LABELS } from './service.ts'

/** Per address: a flood from one place is stopped whatever emails it uses. */
export const PUBLIC_REQUEST_IP_LIMIT = { max: 10, timeWindow: '1 hour' }
/** Per email address: nobody can bury one person's inbox under confirmation links. */
export const PUBLIC_REQUEST_EMAIL_LIMIT = { max: 3, timeWindow: '1 hour' }

const TYPE_OPTIONS = REQUEST_TYPES.map((type) => ({ value: type, label: TYPE_LABELS[type] }))

/** The public request form (no account needed) and its emailed confirmation link. */
export async function publicRequestPages(app: TypedApp): Promise<void> {
  const { platform } = app

  const formPage = async (reply: FastifyReply, orgId: string | null, state: FormState = {}) => {
    const { orgName } = await calendarOf(platform.db, orgId)
    const action = orgId ? `/privacy/request?org=${encodeURIComponent(orgId)}` : '/privacy/request'
    return reply.page(
      'Privacy request',
      <article class="narrow">
        <h1>Privacy request</h1>
        <p>
          Ask <strong safe>{orgName ?? 'the operator of this site'}</strong> for a copy of your data, to correct or erase it, or to restrict or object to its
          use. You need no account. If you have one, <a href="/account/privacy">sign in and use My privacy</a> instead: your request starts at once.
        </p>
        <p class="purpose-notice">
          We use your email address and name only to handle this request: to confirm it is yours, to find your data, and to tell you the outcome. We keep them
          while the request is handled; afterwards only its type, dates and outcome remain, as proof it was answered.
        </p>
        <FormErrorSummary state={state} />
        <form method="post" action={action} novalidate>
          <CsrfField token={reply.csrfToken()} />
          <SelectField name="type" label="What do you ask for?" options={TYPE_OPTIONS} state={state} value="access" />
          <Field name="email" label="Your email address" type="email" required autocomplete="email" state={state} hint="We send a confirmation link here." />
          <Field name="name" label="Your name" required autocomplete="name" state={state} />
          <label for="field-details">
            Details (optional)
            <textarea id="field-details" name="details" rows="4" safe>
              {state.values?.details ?? ''}
            </textarea>
          </label>
          <button type="submit">Send the request</button>
        </form>
      </article>,
    )
  }

  const orgOf = (request: { query: { org?: string } }) => request.query.org || null

  app.get('/privacy/request', { schema: { querystring: PublicRequestQuery } }, async (request, reply) => formPage(reply, orgOf(request)))

  const perEmail = app.createRateLimit({
    ...PUBLIC_REQUEST_EMAIL_LIMIT,
    keyGenerator: (request) =>
      `privacy-request:${String((request.body as { email?: unknown }).email)
        .trim()
        .toLowerCase()}`,
  })

  app.post('/privacy/request', { config: { rateLimit: PUBLIC_REQUEST_IP_LIMIT }, schema: { querystring: PublicRequestQuery } }, async (request, reply) => {
    const orgId = orgOf(request)
    const form = parseForm(PublicRequestForm, request.body)
    if (!form.ok) return formPage(reply.status(422), orgId, form)
    // Counted here, for well-formed forms only: Fastify's rate limit runs one hook per request, the route's per IP.
    const limit = await perEmail(request)
    if (!limit.isAllowed && limit.isExceeded) {
      throw new TooManyError('too_many_requests_for_email', 'Too many requests for this email address: try again in an hour.', limit.ttlInSeconds)
    }
    await submitPublicRequest(platform, { orgId, ...form.value, details: form.value.details ?? null })
    return reply.page(
      'Check your email',
      <article class="narrow">
        <h1>Check your email</h1>
        <p>
          We sent a confirmation link to <strong safe>{form.value.email}</strong>. Your request starts when you open it; the link works for 24 hours.
        </p>
      </article>,
    )
  })

  app.get('/privacy/request/confirm', { config: { rateLimit: AUTH_RATE_LIMIT }, schema: { querystring: TokenQuery } }, async (request, reply) => {
    const token = request.query.token ?? ''
    if (!token) throw new InvalidError('link_invalid', 'This link is incomplete. Copy the whole link from the email.')
    const pending = await requestForToken(platform, platform.db, token)
    return reply.page(
      'Confirm your request',
      <article class="narrow">
        <h1>Confirm your request</h1>
        <p safe>{`${TYPE_LABELS[pending.type]}, about the data held on ${pending.subjectEmail ?? 'your address'}.`}</p>
        <form method="post" action="/privacy/request/confirm">
          <CsrfField token={reply.csrfToken()} />
          <input type="hidden" name="token" value={token} />
          <button type="submit">Yes, it was me: start the request</button>
        </form>
      </article>,
    )
  })

  app.post('/privacy/request/confirm', { config: { rateLimit: AUTH_RATE_LIMIT } }, async (request, reply) => {
    const token = (request.body as { token?: unknown } | undefined)?.token
    if (typeof token !== 'string' || !token) throw new InvalidError('link_invalid', 'This link is incomplete. Copy the whole link from the email.')
    const confirmed = await confirmPublicRequest(platform, token)
    const { timeZone } = await calendarOf(platform.db, confirmed.orgId)
    return reply.page(
      'Request confirmed',
      <article class="narrow">
        <h1>Request confirmed</h1>
        <p
          safe
        >{`Thank you. We answer by the end of ${localDay(confirmed.dueAt, timeZone)} (${timeZone}) at the latest, by email to ${confirmed.subjectEmail ?? 'you'}.`}</p>
      </article>,
    )
  })
}
