import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { InvalidError } from '../../platform/errors.ts'
import type { TypedApp } from '../../platform/feature.ts'
import { parseForm } from '../../platform/http/forms.ts'
import { AUTH_RATE_LIMIT } from '../../platform/http/server.tsx'
import { LanguagePicker } from '../../platform/i18n/language-picker.tsx'
import type { Messages } from '../../platform/i18n/messages.ts'
import { CheckboxField, CsrfField, Field, FormErrorSummary, type FormState, PurposeNotice } from '../../platform/ui/components.tsx'
import { CONSENT_WORDING } from '../privacy-center/consent/service.ts'
import { EmailForm, ResetPasswordForm, SecondFactorForm, SignInForm, SignUpForm } from './contract.ts'
import { originOf, safeNext, withFormErrors } from './form-helpers.ts'
import { CHILD_AGE, confirmGuardian } from './guardians.ts'
import { ABSOLUTE_TIMEOUT_MS, endLoginSession, LOGIN_SESSION_COOKIE } from './login-sessions.ts'
import { requestPasswordReset, resetPassword, signUp, verifyEmail } from './service.ts'
import { completeSignIn, requestUnlock, type SignInResult, signIn, unlockWithToken } from './sign-in.ts'

const TokenQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) })
const TokenForm = Type.Object({ token: Type.Optional(Type.String()) })
const NextQuery = Type.Object({ next: Type.Optional(Type.String({ maxLength: 500 })) })

/** A narrow page for signing in and its neighbours, with the language picker under it. */
function narrowPage(request: FastifyRequest, reply: FastifyReply, title: string, body: JSX.Element) {
  return reply.page(
    title,
    <>
      <article class="narrow">{body}</article>
      <LanguagePicker messages={request.messages} url={request.url} />
    </>,
  )
}

/** The page a child sees until their parent or guardian confirms the account. */
export function waitingForGuardianPage(request: FastifyRequest, reply: FastifyReply) {
  const m = request.messages
  return narrowPage(
    request,
    reply,
    m.t('auth.guardian.waitTitle'),
    <>
      <h1 safe>{m.t('auth.guardian.waitTitle')}</h1>
      <p safe>{m.t('auth.guardian.waitBody', { childAge: CHILD_AGE })}</p>
      <p safe>{m.t('auth.guardian.waitResent')}</p>
    </>,
  )
}

/** The optional date of birth and, for a child, the parent's or guardian's address. */
export function BirthDateFields(props: { state: FormState; birthDate?: string | null; guardianEmail?: string | undefined; messages: Messages }) {
  const m = props.messages
  return (
    <>
      <Field
        name="birthDate"
        label={m.t('auth.birthDate')}
        type="date"
        autocomplete="bday"
        value={props.birthDate ?? undefined}
        state={props.state}
        hint={m.t('auth.birthDateHint', { childAge: CHILD_AGE })}
      />
      <Field name="guardianEmail" label={m.t('auth.guardianEmail', { childAge: CHILD_AGE })} type="email" value={props.guardianEmail} state={props.state} />
    </>
  )
}

/** Sign-up, email confirmation, sign-in (with its second factor and unlock), sign-out and password reset. */
export async function authPages(app: TypedApp): Promise<void> {
  const { platform } = app

  // Without "keep me signed in" the cookie has no lifetime, so the browser drops it when it closes; either
  // way the login session itself ends after the idle and absolute timeouts (login-sessions.ts).
  const setSessionCookie = (reply: FastifyReply, token: string, keepSignedIn: boolean) =>
    reply.setCookie(LOGIN_SESSION_COOKIE, token, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: platform.config.isHttps,
      ...(keepSignedIn ? { maxAge: ABSOLUTE_TIMEOUT_MS / 1000 } : {}),
    })

  // Sign-up
  const signUpPage = (request: FastifyRequest, reply: FastifyReply, state: FormState = {}) => {
    const m = request.messages
    const safeHaveAccount = m.html('auth.signUp.haveAccount', {}, { link: (text) => `<a href="/sign-in">${text}</a>` })
    return narrowPage(
      request,
      reply,
      m.t('auth.signUp.title'),
      <>
        <h1 safe>{m.t('auth.signUp.heading')}</h1>
        <FormErrorSummary state={state} messages={m} />
        <form method="post" action="/sign-up" novalidate>
          <CsrfField token={reply.csrfToken()} />
          <Field name="name" label={m.t('auth.field.name')} autocomplete="name" required state={state} />
          <Field name="email" label={m.t('auth.field.email')} type="email" autocomplete="email" required state={state} />
          <Field
            name="password"
            label={m.t('auth.field.password')}
            type="password"
            autocomplete="new-password"
            required
            state={state}
            hint={m.t('auth.signUp.passwordHint')}
          />
          <BirthDateFields state={state} messages={m} />
          <CheckboxField name="marketing" label={CONSENT_WORDING.marketing.label} state={state} />
          <PurposeNotice purpose={m.t('auth.signUp.purpose')} messages={m} />
          <button type="submit" safe>
            {m.t('auth.signUp.submit')}
          </button>
        </form>
        <p>{safeHaveAccount}</p>
      </>,
    )
  }
  app.get('/sign-up', async (request, reply) => signUpPage(request, reply))
  app.post('/sign-up', { config: { rateLimit: AUTH_RATE_LIMIT } }, async (request, reply) => {
    const form = parseForm(SignUpForm, request.body)
    if (!form.ok) return signUpPage(request, reply.status(422), form)
    const m = request.messages
    return withFormErrors(
      reply,
      form.values,
      async () => {
        await signUp(platform, { ...form.value, marketingOptIn: form.value.marketing === 'on' }, originOf(request))
        const safeSent = m.html('auth.checkEmail.sent', { email: form.value.email }, { strong: (text) => `<strong>${text}</strong>` })
        return narrowPage(
          request,
          reply,
          m.t('auth.checkEmail.title'),
          <>
            <h1 safe>{m.t('auth.checkEmail.title')}</h1>
            <p>{safeSent}</p>
            {platform.mailer.usesOutbox && <p safe>{m.t('auth.checkEmail.outbox')}</p>}
          </>,
        )
      },
      (state) => signUpPage(request, reply, state),
    )
  })

  app.get('/verify-email', { schema: { querystring: TokenQuery } }, async (request, reply) => {
    const { token } = request.query
    if (!token) throw new InvalidError('link_invalid', 'This link is incomplete. Copy the whole link from the email.')
    await verifyEmail(platform, token)
    reply.flash('success', request.messages.t('auth.emailConfirmed'))
    return reply.redirect('/sign-in')
  })

  // Sign-in
  const signInPage = (request: FastifyRequest, reply: FastifyReply, state: FormState = {}, next?: string) => {
    const m = request.messages
    return narrowPage(
      request,
      reply,
      m.t('auth.signIn.title'),
      <>
        <h1 safe>{m.t('auth.signIn.title')}</h1>
        <FormErrorSummary state={state} messages={m} />
        <form method="post" action="/sign-in" novalidate>
          <CsrfField token={reply.csrfToken()} />
          <input type="hidden" name="next" value={safeNext(next ?? state.values?.next)} />
          <Field name="email" label={m.t('auth.field.email')} type="email" autocomplete="username" required state={state} autofocus />
          <Field name="password" label={m.t('auth.field.password')} type="password" autocomplete="current-password" required state={state} />
          <CheckboxField name="keepSignedIn" label={m.t('auth.signIn.keep')} state={state} />
          <button type="submit" safe>
            {m.t('auth.signIn.submit')}
          </button>
        </form>
        <p>
          <a href="/password/forgot" safe>
            {m.t('auth.signIn.forgot')}
          </a>
          {' · '}
          <a href="/sign-up" safe>
            {m.t('auth.signIn.create')}
          </a>
          {' · '}
          <a href="/sign-in/unlock" safe>
            {m.t('auth.signIn.blocked')}
          </a>
        </p>
      </>,
    )
  }
  app.get('/sign-in', { schema: { querystring: NextQuery } }, async (request, reply) => {
    if (request.auth) return reply.redirect('/')
    return signInPage(request, reply, {}, request.query.next)
  })
  app.post('/sign-in', { config: { rateLimit: AUTH_RATE_LIMIT } }, async (request, reply) => {
    const form = parseForm(SignInForm, request.body)
    if (!form.ok) return signInPage(request, reply.status(422), form)
    const result = await signIn(platform, form.value, originOf(request))
    return respondToSignIn(request, reply, result, form.values, safeNext(form.value.next), form.value.keepSignedIn === 'on')
  })

  function respondToSignIn(
    request: FastifyRequest,
    reply: FastifyReply,
    result: SignInResult,
    values: Record<string, string>,
    next: string,
    keepSignedIn: boolean,
  ) {
    const m = request.messages
    const fail = (status: number, message: string) => {
      if (result.outcome === 'throttled') reply.header('retry-after', String(result.retryAfterSeconds))
      return signInPage(request, reply.status(status), { values, errors: { form: message } }, next)
    }
    switch (result.outcome) {
      case 'signed_in':
        setSessionCookie(reply, result.token, keepSignedIn)
        return reply.redirect(next)
      case 'second_factor_required':
        setSessionCookie(reply, result.token, keepSignedIn)
        return reply.redirect(`/sign-in/two-factor?next=${encodeURIComponent(next)}`)
      case 'failed':
        if (result.reason === 'guardian_pending') return waitingForGuardianPage(request, reply.status(403))
        return fail(401, m.t(result.reason === 'email_not_verified' ? 'auth.signIn.confirmFirst' : 'auth.signIn.wrong'))
      case 'throttled':
        return fail(429, m.t('auth.signIn.throttled', { seconds: result.retryAfterSeconds }))
      case 'blocked':
        return fail(423, m.t('auth.signIn.blockedMessage'))
      default: {
        const unreachable: never = result
        throw new Error(`Unhandled sign-in outcome ${JSON.stringify(unreachable)}`)
      }
    }
  }

  app.get('/guardian/confirm', { schema: { querystring: TokenQuery } }, async (request, reply) => {
    const m = request.messages
    return narrowPage(
      request,
      reply,
      m.t('auth.guardian.confirmTitle'),
      <>
        <h1 safe>{m.t('auth.guardian.confirmTitle')}</h1>
        <p safe>{m.t('auth.guardian.confirmBody')}</p>
        <form method="post" action="/guardian/confirm">
          <CsrfField token={reply.csrfToken()} />
          <input type="hidden" name="token" value={request.query.token ?? ''} />
          <button type="submit" safe>
            {m.t('auth.guardian.confirmSubmit')}
          </button>
        </form>
      </>,
    )
  })
  app.post('/guardian/confirm', { config: { rateLimit: AUTH_RATE_LIMIT }, schema: { body: TokenForm } }, async (request, reply) => {
    const { token } = request.body
    if (!token) throw new InvalidError('link_invalid', 'This link is incomplete. Copy the whole link from the email.')
    await confirmGuardian(platform, token)
    const m = request.messages
    return narrowPage(
      request,
      reply,
      m.t('auth.guardian.confirmedTitle'),
      <>
        <h1 safe>{m.t('auth.guardian.confirmedHeading')}</h1>
        <p safe>{m.t('auth.guardian.confirmedBody')}</p>
      </>,
    )
  })

  const secondFactorPage = (request: FastifyRequest, reply: FastifyReply, state: FormState = {}, next = '/') => {
    const m = request.messages
    return narrowPage(
      request,
      reply,
      m.t('auth.twoFactor.title'),
      <>
        <h1 safe>{m.t('auth.twoFactor.title')}</h1>
        <FormErrorSummary state={state} messages={m} />
        <form method="post" action={`/sign-in/two-factor?next=${encodeURIComponent(next)}`} novalidate>
          <CsrfField token={reply.csrfToken()} />
          <Field
            name="code"
            label={m.t('auth.twoFactor.code')}
            autocomplete="one-time-code"
            inputmode="numeric"
            required
            autofocus
            state={state}
            hint={m.t('auth.twoFactor.hint')}
          />
          <button type="submit" safe>
            {m.t('auth.twoFactor.submit')}
          </button>
        </form>
      </>,
    )
  }
  app.get('/sign-in/two-factor', { schema: { querystring: NextQuery } }, async (request, reply) => {
    if (!request.pendingLoginSession) return reply.redirect('/sign-in')
    return secondFactorPage(request, reply, {}, safeNext(request.query.next))
  })
  app.post('/sign-in/two-factor', { config: { rateLimit: AUTH_RATE_LIMIT }, schema: { querystring: NextQuery } }, async (request, reply) => {
    const pending = request.pendingLoginSession
    if (!pending) return reply.redirect('/sign-in')
    const next = safeNext(request.query.next)
    const form = parseForm(SecondFactorForm, request.body)
    if (!form.ok) return secondFactorPage(request, reply.status(422), form, next)
    const result = await completeSignIn(platform, { ...pending, code: form.value.code }, originOf(request))
    if (result.outcome === 'signed_in') return reply.redirect(next)
    const m = request.messages
    const message =
      result.outcome === 'throttled'
        ? m.t('auth.twoFactor.throttled', { seconds: result.retryAfterSeconds })
        : m.t(result.outcome === 'blocked' ? 'auth.twoFactor.blocked' : 'auth.twoFactor.wrong')
    return secondFactorPage(request, reply.status(result.outcome === 'throttled' ? 429 : 401), { errors: { code: message } }, next)
  })

  app.post('/sign-out', async (request, reply) => {
    const signedIn = request.auth?.loginSessionId
      ? { accountId: request.auth.accountId, loginSessionId: request.auth.loginSessionId }
      : request.pendingLoginSession
    if (signedIn) {
      // Features clean up first (e.g. log a held portal token out), while the login session's secrets are still readable.
      for (const handler of app.signOutHandlers) {
        await handler(platform, request, reply).catch((error: unknown) => platform.log.warn({ err: error }, 'a sign-out handler failed'))
      }
      await endLoginSession(platform, signedIn.accountId, signedIn.loginSessionId)
    }
    reply.clearCookie(LOGIN_SESSION_COOKIE, { path: '/' })
    reply.flash('info', request.messages.t('auth.signedOut'))
    return reply.redirect('/sign-in')
  })

  // Unlock a blocked sign-in
  const unlockRequestPage = (request: FastifyRequest, reply: FastifyReply, state: FormState = {}) => {
    const m = request.messages
    return narrowPage(
      request,
      reply,
      m.t('auth.unlock.title'),
      <>
        <h1 safe>{m.t('auth.unlock.title')}</h1>
        <p safe>{m.t('auth.unlock.intro')}</p>
        <FormErrorSummary state={state} messages={m} />
        <form method="post" action="/sign-in/unlock" novalidate>
          <CsrfField token={reply.csrfToken()} />
          <Field name="email" label={m.t('auth.field.email')} type="email" autocomplete="email" required state={state} />
          <button type="submit" safe>
            {m.t('auth.unlock.request')}
          </button>
        </form>
      </>,
    )
  }
  app.get('/sign-in/unlock', async (request, reply) => unlockRequestPage(request, reply))
  app.post('/sign-in/unlock', { config: { rateLimit: AUTH_RATE_LIMIT } }, async (request, reply) => {
    const form = parseForm(EmailForm, request.body)
    if (!form.ok) return unlockRequestPage(request, reply.status(422), form)
    await requestUnlock(platform, form.value.email)
    reply.flash('info', request.messages.t('auth.unlock.sent'))
    return reply.redirect('/sign-in')
  })
  app.get('/unlock', { schema: { querystring: TokenQuery } }, async (request, reply) => {
    const m = request.messages
    return narrowPage(
      request,
      reply,
      m.t('auth.unlock.title'),
      <>
        <h1 safe>{m.t('auth.unlock.title')}</h1>
        <form method="post" action="/unlock">
          <CsrfField token={reply.csrfToken()} />
          <input type="hidden" name="token" value={request.query.token ?? ''} />
          <button type="submit" safe>
            {m.t('auth.unlock.submit')}
          </button>
        </form>
      </>,
    )
  })
  app.post('/unlock', { config: { rateLimit: AUTH_RATE_LIMIT }, schema: { body: TokenForm } }, async (request, reply) => {
    const { token } = request.body
    if (!token) throw new InvalidError('link_invalid', 'This link is incomplete. Copy the whole link from the email.')
    await unlockWithToken(platform, token)
    reply.flash('success', request.messages.t('auth.unlock.done'))
    return reply.redirect('/sign-in')
  })

  // Password reset
  const forgotPage = (request: FastifyRequest, reply: FastifyReply, state: FormState = {}) => {
    const m = request.messages
    return narrowPage(
      request,
      reply,
      m.t('auth.forgot.title'),
      <>
        <h1 safe>{m.t('auth.forgot.heading')}</h1>
        <FormErrorSummary state={state} messages={m} />
        <form method="post" action="/password/forgot" novalidate>
          <CsrfField token={reply.csrfToken()} />
          <Field name="email" label={m.t('auth.field.email')} type="email" autocomplete="email" required state={state} />
          <button type="submit" safe>
            {m.t('auth.forgot.submit')}
          </button>
        </form>
      </>,
    )
  }
  app.get('/password/forgot', async (request, reply) => forgotPage(request, reply))
  app.post('/password/forgot', { config: { rateLimit: AUTH_RATE_LIMIT } }, async (request, reply) => {
    const form = parseForm(EmailForm, request.body)
    if (!form.ok) return forgotPage(request, reply.status(422), form)
    await requestPasswordReset(platform, form.value.email, originOf(request))
    reply.flash('info', request.messages.t('auth.forgot.sent'))
    return reply.redirect('/sign-in')
  })
  const resetPage = (request: FastifyRequest, reply: FastifyReply, token: string, state: FormState = {}) => {
    const m = request.messages
    return narrowPage(
      request,
      reply,
      m.t('auth.reset.title'),
      <>
        <h1 safe>{m.t('auth.reset.title')}</h1>
        <FormErrorSummary state={state} messages={m} />
        <form method="post" action="/password/reset" novalidate>
          <CsrfField token={reply.csrfToken()} />
          <input type="hidden" name="token" value={token} />
          <Field
            name="password"
            label={m.t('auth.field.newPassword')}
            type="password"
            autocomplete="new-password"
            required
            state={state}
            hint={m.t('auth.reset.hint')}
          />
          <button type="submit" safe>
            {m.t('auth.reset.submit')}
          </button>
        </form>
      </>,
    )
  }
  app.get('/password/reset', { schema: { querystring: TokenQuery } }, async (request, reply) => resetPage(request, reply, request.query.token ?? ''))
  app.post('/password/reset', { config: { rateLimit: AUTH_RATE_LIMIT } }, async (request, reply) => {
    const form = parseForm(ResetPasswordForm, request.body)
    const token = form.values.token ?? ''
    if (!form.ok) return resetPage(request, reply.status(422), token, form)
    return withFormErrors(
      reply,
      {},
      async () => {
        await resetPassword(platform, form.value.token, form.value.password, originOf(request))
        reply.clearCookie(LOGIN_SESSION_COOKIE, { path: '/' })
        reply.flash('success', request.messages.t('auth.reset.done'))
        return reply.redirect('/sign-in')
      },
      (state) => resetPage(request, reply, token, state),
    )
  })
}
