import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { DomainError, InvalidError } from '../../platform/errors.ts'
import type { TypedApp } from '../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../platform/http/auth.ts'
import { parseForm } from '../../platform/http/forms.ts'
import { AUTH_RATE_LIMIT } from '../../platform/http/server.tsx'
import { LanguageSelect } from '../../platform/i18n/language-select.tsx'
import {
  CheckboxField,
  CsrfField,
  EmptyState,
  Field,
  FormErrorSummary,
  type FormState,
  PurposeNotice,
  SelectField,
  TableHead,
} from '../../platform/ui/components.tsx'
import { listOrgsForAccount } from '../orgs/service.ts'
import { CONSENT_WORDING, grantConsent, hasConsent, withdrawConsent } from '../privacy-center/consent/service.ts'
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.ts'
import {
  ApiKeyForm,
  ChangePasswordForm,
  EmailForm,
  PasswordConfirmForm,
  ProfileForm,
  ResetPasswordForm,
  SecondFactorForm,
  SignInForm,
  SignUpForm,
  TotpCodeForm,
} from './contract.ts'
import { CHILD_AGE, confirmGuardian, guardianOf, isAwaitingGuardian, isChildBirthDate } from './guardians.ts'
import {
  ABSOLUTE_TIMEOUT_MS,
  endLoginSession,
  forgetLoginSessionsOf,
  LOGIN_SESSION_COOKIE,
  listLoginSessions,
  signOutLoginSession,
  signOutOtherLoginSessions,
} from './login-sessions.ts'
import { changePassword, getAccount, requestPasswordReset, resetPassword, signUp, updateProfile, verifyEmail } from './service.ts'
import { completeSignIn, requestUnlock, type SignInResult, signIn, unlockWithToken } from './sign-in.ts'
import { confirmTotpEnrollment, countUnusedRecoveryCodes, disableTotp, startTotpEnrollment } from './two-factor.ts'

const TokenQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) })
const TokenForm = Type.Object({ token: Type.Optional(Type.String()) })
const NextQuery = Type.Object({ next: Type.Optional(Type.String({ maxLength: 500 })) })
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) })

export const originOf = (request: FastifyRequest) => ({ ip: request.ip, userAgent: request.headers['user-agent'] ?? null })

/** Only same-site paths, so a crafted link cannot send people elsewhere after sign-in. */
function safeNext(next: string | undefined): string {
  return next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/'
}

/** Runs a form action; a domain error re-renders the form with the message next to its field. */
export async function withFormErrors(
  reply: FastifyReply,
  values: Record<string, string>,
  action: () => Promise<unknown>,
  render: (state: FormState) => Promise<unknown>,
) {
  try {
    return await action()
  } catch (error) {
    if (!(error instanceof DomainError) || error.kind === 'not_found') throw error
    const fields = error instanceof InvalidError && Object.keys(error.fields).length > 0 ? error.fields : { form: error.message }
    reply.status(error.kind === 'invalid' ? 422 : error.kind === 'conflict' ? 409 : 403)
    return render({ values, errors: fields })
  }
}

export async function identityPages(app: TypedApp): Promise<void> {
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
  const signUpPage = (reply: FastifyReply, state: FormState = {}) =>
    reply.page(
      'Sign up',
      <article class="narrow">
        <h1>Create your account</h1>
        <FormErrorSummary state={state} />
        <form method="post" action="/sign-up" novalidate>
          <CsrfField token={reply.csrfToken()} />
          <Field name="name" label="Full name" autocomplete="name" required state={state} />
          <Field name="email" label="Email" type="email" autocomplete="email" required state={state} />
          <Field
            name="password"
            label="Password"
            type="password"
            autocomplete="new-password"
            required
            state={state}
            hint="At least 12 characters; common passwords are refused."
          />
          <BirthDateFields state={state} />
          <CheckboxField name="marketing" label={CONSENT_WORDING.marketing.label} state={state} />
          <PurposeNotice purpose={SIGN_UP_PURPOSE} />
          <button type="submit">Sign up</button>
        </form>
        <p>
          Already have an account? <a href="/sign-in">Sign in</a>
        </p>
      </article>,
    )
  app.get('/sign-up', async (_request, reply) => signUpPage(reply))
  app.post('/sign-up', { config: { rateLimit: AUTH_RATE_LIMIT } }, async (request, reply) => {
    const form = parseForm(SignUpForm, request.body)
    if (!form.ok) return signUpPage(reply.status(422), form)
    return withFormErrors(
      reply,
      form.values,
      async () => {
        await signUp(platform, { ...form.value, marketingOptIn: form.value.marketing === 'on' }, originOf(request))
        return reply.page(
          'Check your email',
          <article class="narrow">
            <h1>Check your email</h1>
            <p>
              We sent a link to <strong safe>{form.value.email}</strong>. Open it to confirm your address, then sign in.
            </p>
            {platform.mailer.usesOutbox && <p>This server has no mail server configured: a platform administrator can see the message in the outbox.</p>}
          </article>,
        )
      },
      (state) => signUpPage(reply, state),
    )
  })

  app.get('/verify-email', { schema: { querystring: TokenQuery } }, async (request, reply) => {
    const { token } = request.query
    if (!token) throw new InvalidError('link_invalid', 'This link is incomplete. Copy the whole link from the email.')
    await verifyEmail(platform, token)
    reply.flash('success', 'Your email address is confirmed. You can sign in now.')
    return reply.redirect('/sign-in')
  })

  // Sign-in
  const signInPage = (reply: FastifyReply, state: FormState = {}, next?: string) =>
    reply.page(
      'Sign in',
      <article class="narrow">
        <h1>Sign in</h1>
        <FormErrorSummary state={state} />
        <form method="post" action="/sign-in" novalidate>
          <CsrfField token={reply.csrfToken()} />
          <input type="hidden" name="next" value={safeNext(next ?? state.values?.next)} />
          <Field name="email" label="Email" type="email" autocomplete="username" required state={state} autofocus />
          <Field name="password" label="Password" type="password" autocomplete="current-password" required state={state} />
          <CheckboxField name="keepSignedIn" label="Keep me signed in (up to 24 hours, even after closing the browser)" state={state} />
          <button type="submit">Sign in</button>
        </form>
        <p>
          <a href="/password/forgot">Forgot your password?</a> · <a href="/sign-up">Create an account</a> · <a href="/sign-in/unlock">Sign-in blocked?</a>
        </p>
      </article>,
    )
  app.get('/sign-in', { schema: { querystring: NextQuery } }, async (request, reply) => {
    if (request.auth) return reply.redirect('/')
    return signInPage(reply, {}, request.query.next)
  })
  app.post('/sign-in', { config: { rateLimit: AUTH_RATE_LIMIT } }, async (request, reply) => {
    const form = parseForm(SignInForm, request.body)
    if (!form.ok) return signInPage(reply.status(422), form)
    const result = await signIn(platform, form.value, originOf(request))
    return respondToSignIn(reply, result, form.values, safeNext(form.value.next), form.value.keepSignedIn === 'on')
  })

  function respondToSignIn(reply: FastifyReply, result: SignInResult, values: Record<string, string>, next: string, keepSignedIn: boolean) {
    const fail = (status: number, message: string) => {
      if (result.outcome === 'throttled') reply.header('retry-after', String(result.retryAfterSeconds))
      return signInPage(reply.status(status), { values, errors: { form: message } }, next)
    }
    switch (result.outcome) {
      case 'signed_in':
        setSessionCookie(reply, result.token, keepSignedIn)
        return reply.redirect(next)
      case 'second_factor_required':
        setSessionCookie(reply, result.token, keepSignedIn)
        return reply.redirect(`/sign-in/two-factor?next=${encodeURIComponent(next)}`)
      case 'failed':
        if (result.reason === 'guardian_pending') return waitingForGuardianPage(reply.status(403))
        return fail(
          401,
          result.reason === 'email_not_verified' ? 'Confirm your email address first: we just sent you a new link.' : 'The email or password is not correct.',
        )
      case 'throttled':
        return fail(429, `Too many failed attempts. Wait ${result.retryAfterSeconds} seconds before trying again.`)
      case 'blocked':
        return fail(
          423,
          'Sign-in from this address is blocked after too many failed attempts. We emailed the account owner a link to unlock it; an organisation admin can also unlock it.',
        )
      default: {
        const unreachable: never = result
        throw new Error(`Unhandled sign-in outcome ${JSON.stringify(unreachable)}`)
      }
    }
  }

  const waitingForGuardianPage = (reply: FastifyReply) =>
    reply.page(
      'Waiting for your parent or guardian',
      <article class="narrow">
        <h1>Waiting for your parent or guardian</h1>
        <p>{`Your account is ready, but because you are under ${CHILD_AGE} your parent or guardian must confirm it first. We emailed them a link. Once they open it and confirm, you can sign in.`}</p>
        <p>If the link has expired, we have just sent them a new one.</p>
      </article>,
    )

  app.get('/guardian/confirm', { schema: { querystring: TokenQuery } }, async (request, reply) =>
    reply.page(
      'Confirm a child’s account',
      <article class="narrow">
        <h1>Confirm a child’s account</h1>
        <p>
          A child gave your address as their parent or guardian when creating a Laurel account. Confirming opens the account. It never gets marketing email, its
          use is not analysed, and you can ask for its data to be shown, corrected or erased.
        </p>
        <form method="post" action="/guardian/confirm">
          <CsrfField token={reply.csrfToken()} />
          <input type="hidden" name="token" value={request.query.token ?? ''} />
          <button type="submit">I am their parent or guardian: confirm the account</button>
        </form>
      </article>,
    ),
  )
  app.post('/guardian/confirm', { config: { rateLimit: AUTH_RATE_LIMIT }, schema: { body: TokenForm } }, async (request, reply) => {
    const { token } = request.body
    if (!token) throw new InvalidError('link_invalid', 'This link is incomplete. Copy the whole link from the email.')
    await confirmGuardian(platform, token)
    return reply.page(
      'Account confirmed',
      <article class="narrow">
        <h1>Thank you: the account is confirmed</h1>
        <p>The child can now sign in.</p>
      </article>,
    )
  })

  const secondFactorPage = (reply: FastifyReply, state: FormState = {}, next = '/') =>
    reply.page(
      'Two-factor sign-in',
      <article class="narrow">
        <h1>Two-factor sign-in</h1>
        <FormErrorSummary state={state} />
        <form method="post" action={`/sign-in/two-factor?next=${encodeURIComponent(next)}`} novalidate>
          <CsrfField token={reply.csrfToken()} />
          <Field
            name="code"
            label="Code from your authenticator app"
            autocomplete="one-time-code"
            inputmode="numeric"
            required
            autofocus
            state={state}
            hint="Lost your device? Enter one of your recovery codes instead."
          />
          <button type="submit">Continue</button>
        </form>
      </article>,
    )
  app.get('/sign-in/two-factor', { schema: { querystring: NextQuery } }, async (request, reply) => {
    if (!request.pendingLoginSession) return reply.redirect('/sign-in')
    return secondFactorPage(reply, {}, safeNext(request.query.next))
  })
  app.post('/sign-in/two-factor', { config: { rateLimit: AUTH_RATE_LIMIT }, schema: { querystring: NextQuery } }, async (request, reply) => {
    const pending = request.pendingLoginSession
    if (!pending) return reply.redirect('/sign-in')
    const next = safeNext(request.query.next)
    const form = parseForm(SecondFactorForm, request.body)
    if (!form.ok) return secondFactorPage(reply.status(422), form, next)
    const result = await completeSignIn(platform, { ...pending, code: form.value.code }, originOf(request))
    if (result.outcome === 'signed_in') return reply.redirect(next)
    const message =
      result.outcome === 'throttled'
        ? `Too many wrong codes. Wait ${result.retryAfterSeconds} seconds.`
        : result.outcome === 'blocked'
          ? 'Sign-in from this address is blocked. Use the unlock link we emailed you.'
          : 'That code is not right.'
    return secondFactorPage(reply.status(result.outcome === 'throttled' ? 429 : 401), { errors: { code: message } }, next)
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
    reply.flash('info', 'You are signed out.')
    return reply.redirect('/sign-in')
  })

  // Unlock a blocked sign-in
  const unlockRequestPage = (reply: FastifyReply, state: FormState = {}) =>
    reply.page(
      'Unlock sign-in',
      <article class="narrow">
        <h1>Unlock sign-in</h1>
        <p>If sign-in to your account was blocked after many failed attempts, we can email you a link that lifts the block.</p>
        <FormErrorSummary state={state} />
        <form method="post" action="/sign-in/unlock" novalidate>
          <CsrfField token={reply.csrfToken()} />
          <Field name="email" label="Email" type="email" autocomplete="email" required state={state} />
          <button type="submit">Email me an unlock link</button>
        </form>
      </article>,
    )
  app.get('/sign-in/unlock', async (_request, reply) => unlockRequestPage(reply))
  app.post('/sign-in/unlock', { config: { rateLimit: AUTH_RATE_LIMIT } }, async (request, reply) => {
    const form = parseForm(EmailForm, request.body)
    if (!form.ok) return unlockRequestPage(reply.status(422), form)
    await requestUnlock(platform, form.value.email)
    reply.flash('info', 'If sign-in to that account is blocked, an unlock link is on its way.')
    return reply.redirect('/sign-in')
  })
  app.get('/unlock', { schema: { querystring: TokenQuery } }, async (request, reply) =>
    reply.page(
      'Unlock sign-in',
      <article class="narrow">
        <h1>Unlock sign-in</h1>
        <form method="post" action="/unlock">
          <CsrfField token={reply.csrfToken()} />
          <input type="hidden" name="token" value={request.query.token ?? ''} />
          <button type="submit">Unlock my account</button>
        </form>
      </article>,
    ),
  )
  app.post('/unlock', { config: { rateLimit: AUTH_RATE_LIMIT }, schema: { body: TokenForm } }, async (request, reply) => {
    const { token } = request.body
    if (!token) throw new InvalidError('link_invalid', 'This link is incomplete. Copy the whole link from the email.')
    await unlockWithToken(platform, token)
    reply.flash('success', 'Sign-in is unlocked. You can sign in again.')
    return reply.redirect('/sign-in')
  })

  // Password reset
  const forgotPage = (reply: FastifyReply, state: FormState = {}) =>
    reply.page(
      'Forgot password',
      <article class="narrow">
        <h1>Forgot your password?</h1>
        <FormErrorSummary state={state} />
        <form method="post" action="/password/forgot" novalidate>
          <CsrfField token={reply.csrfToken()} />
          <Field name="email" label="Email" type="email" autocomplete="email" required state={state} />
          <button type="submit">Email me a reset link</button>
        </form>
      </article>,
    )
  app.get('/password/forgot', async (_request, reply) => forgotPage(reply))
  app.post('/password/forgot', { config: { rateLimit: AUTH_RATE_LIMIT } }, async (request, reply) => {
    const form = parseForm(EmailForm, request.body)
    if (!form.ok) return forgotPage(reply.status(422), form)
    await requestPasswordReset(platform, form.value.email, originOf(request))
    reply.flash('info', 'If an account uses that address, a reset link is on its way. It works for one hour.')
    return reply.redirect('/sign-in')
  })
  const resetPage = (reply: FastifyReply, token: string, state: FormState = {}) =>
    reply.page(
      'Choose a new password',
      <article class="narrow">
        <h1>Choose a new password</h1>
        <FormErrorSummary state={state} />
        <form method="post" action="/password/reset" novalidate>
          <CsrfField token={reply.csrfToken()} />
          <input type="hidden" name="token" value={token} />
          <Field name="password" label="New password" type="password" autocomplete="new-password" required state={state} hint="At least 12 characters." />
          <button type="submit">Set password</button>
        </form>
      </article>,
    )
  app.get('/password/reset', { schema: { querystring: TokenQuery } }, async (request, reply) => resetPage(reply, request.query.token ?? ''))
  app.post('/password/reset', { config: { rateLimit: AUTH_RATE_LIMIT } }, async (request, reply) => {
    const form = parseForm(ResetPasswordForm, request.body)
    const token = form.values.token ?? ''
    if (!form.ok) return resetPage(reply.status(422), token, form)
    return withFormErrors(
      reply,
      {},
      async () => {
        await resetPassword(platform, form.value.token, form.value.password, originOf(request))
        reply.clearCookie(LOGIN_SESSION_COOKIE, { path: '/' })
        reply.flash('success', 'Your password is changed and every login session was signed out. Sign in with the new password.')
        return reply.redirect('/sign-in')
      },
      (state) => resetPage(reply, token, state),
    )
  })

  // Account pages (signed in)
  await app.register(async (account: TypedApp) => {
    account.addHook('preHandler', requireSignedIn)

    const accountPage = async (request: FastifyRequest, reply: FastifyReply, state: FormState = {}, passwordState: FormState = {}) => {
      const me = await getAccount(platform.db, signedInAuth(request).accountId)
      const [guardian, isMarketingOn] = await Promise.all([
        guardianOf(platform.db, me.id),
        hasConsent(platform.db, { email: me.email, orgId: null, purpose: 'marketing' }),
      ])
      return reply.page(
        'Account',
        <>
          <h1>Account</h1>
          <article>
            <h2>Profile</h2>
            <FormErrorSummary state={state} />
            <form method="post" action="/account" novalidate>
              <CsrfField token={reply.csrfToken()} />
              <Field name="name" label="Full name" value={me.name} required state={state} />
              <label>
                Email (you sign in with it)
                <input type="email" value={me.email} disabled />
              </label>
              <p>
                <a href="/account/emails">Manage your email addresses</a>
              </p>
              <LanguageSelect
                name="locale"
                label="Language of pages and emails"
                value={me.locale}
                emptyLabel="Automatic (the page’s own language, or your browser’s)"
                state={state}
              />
              <BirthDateFields state={state} birthDate={me.birthDate} guardianEmail={guardian?.email} />
              {isChildBirthDate(me.birthDate, platform.clock.now()) ? (
                ''
              ) : (
                <CheckboxField name="marketing" label={CONSENT_WORDING.marketing.label} state={state} checked={isMarketingOn} />
              )}
              <PurposeNotice purpose={PROFILE_PURPOSE} />
              <button type="submit">Save</button>
            </form>
          </article>
          <article>
            <h2>Password</h2>
            <FormErrorSummary state={passwordState} />
            <form method="post" action="/account/password" novalidate>
              <CsrfField token={reply.csrfToken()} />
              <Field name="currentPassword" label="Current password" type="password" autocomplete="current-password" state={passwordState} />
              <Field name="newPassword" label="New password" type="password" autocomplete="new-password" state={passwordState} hint="At least 12 characters." />
              <button type="submit">Change password</button>
            </form>
          </article>
        </>,
      )
    }
    const setMarketingConsent = (accountId: string, email: string, isWanted: boolean) =>
      platform.db.transaction(async (tx) => {
        const target = { email, orgId: null, purpose: 'marketing' as const, accountId }
        if (isWanted) await grantConsent(platform, tx, { ...target, source: 'profile' })
        else await withdrawConsent(platform, tx, { ...target, via: 'profile' })
      })
    account.get('/account', async (request, reply) => accountPage(request, reply))
    account.post('/account', async (request, reply) => {
      const form = parseForm(ProfileForm, request.body)
      if (!form.ok) return accountPage(request, reply.status(422), form)
      const auth = signedInAuth(request)
      return withFormErrors(
        reply,
        form.values,
        async () => {
          const { marketing, locale, ...profile } = form.value
          await updateProfile(platform, auth.accountId, {
            ...profile,
            birthDate: profile.birthDate ?? '',
            // "Automatic" is the empty choice, which arrives as no value.
            locale: locale || null,
          })
          await setMarketingConsent(auth.accountId, auth.email, marketing === 'on')
          if (await isAwaitingGuardian(platform.db, auth.accountId)) {
            reply.clearCookie(LOGIN_SESSION_COOKIE, { path: '/' })
            return waitingForGuardianPage(reply)
          }
          reply.flash('success', 'Profile saved.')
          return reply.redirect('/account')
        },
        (formState) => accountPage(request, reply, formState),
      )
    })
    account.post('/account/password', async (request, reply) => {
      const form = parseForm(ChangePasswordForm, request.body)
      if (!form.ok) return accountPage(request, reply.status(422), {}, form)
      const auth = signedInAuth(request)
      return withFormErrors(
        reply,
        {},
        async () => {
          await changePassword(platform, auth.accountId, { ...form.value, keepLoginSessionId: auth.loginSessionId })
          reply.flash('success', 'Password changed. Your other login sessions were signed out.')
          return reply.redirect('/account')
        },
        (state) => accountPage(request, reply, {}, state),
      )
    })

    const securityPage = async (request: FastifyRequest, reply: FastifyReply, extra: JSX.Element | string = '') => {
      const me = await getAccount(platform.db, signedInAuth(request).accountId)
      const remaining = me.totpEnabledAt ? await countUnusedRecoveryCodes(platform, me.id) : 0
      return reply.page(
        'Security',
        <>
          <h1>Security</h1>
          <article>
            <h2>Two-factor sign-in</h2>
            {me.totpEnabledAt ? (
              <>
                <p>
                  <span class="badge">On</span>{' '}
                  <span safe>{`since ${me.totpEnabledAt.toISOString().slice(0, 10)}. ${remaining} unused recovery codes left.`}</span>
                </p>
                <form method="post" action="/account/security/totp/disable" data-confirm="Turn off two-factor sign-in?">
                  <CsrfField token={reply.csrfToken()} />
                  <Field name="password" label="Your password, to confirm" type="password" autocomplete="current-password" />
                  <button type="submit" class="secondary">
                    Turn off two-factor sign-in
                  </button>
                </form>
              </>
            ) : (
              <>
                <p>Protect your account with a code from an authenticator app each time you sign in.</p>
                <form method="post" action="/account/security/totp/start">
                  <CsrfField token={reply.csrfToken()} />
                  <button type="submit">Set up two-factor sign-in</button>
                </form>
              </>
            )}
          </article>
          {extra}
        </>,
      )
    }
    account.get('/account/security', async (request, reply) => securityPage(request, reply))
    const enrollmentForm = (reply: FastifyReply, enrollment: { secret: string; qrCodeSvg: string } | null, state: FormState = {}) => (
      <article>
        <h2>Scan this code with your authenticator app</h2>
        {enrollment ? (
          <>
            <img
              src={`data:image/svg+xml;base64,${Buffer.from(enrollment.qrCodeSvg).toString('base64')}`}
              alt="QR code for your authenticator app"
              width="200"
              height="200"
            />
            <p>
              Or type this key:{' '}
              <code class="secret" id="totp-secret" safe>
                {enrollment.secret}
              </code>
            </p>
          </>
        ) : (
          ''
        )}
        <FormErrorSummary state={state} />
        <form method="post" action="/account/security/totp/confirm" novalidate>
          <CsrfField token={reply.csrfToken()} />
          <Field name="code" label="Code shown by the app" autocomplete="one-time-code" inputmode="numeric" state={state} />
          <button type="submit">Turn on</button>
        </form>
      </article>
    )
    account.post('/account/security/totp/start', async (request, reply) => {
      const enrollment = await startTotpEnrollment(platform, signedInAuth(request).accountId)
      return securityPage(request, reply, enrollmentForm(reply, enrollment))
    })
    account.post('/account/security/totp/confirm', async (request, reply) => {
      const form = parseForm(TotpCodeForm, request.body)
      if (!form.ok) return securityPage(request, reply.status(422), enrollmentForm(reply, null, form))
      return withFormErrors(
        reply,
        {},
        async () => {
          const codes = await confirmTotpEnrollment(platform, signedInAuth(request).accountId, form.value.code)
          return securityPage(
            request,
            reply,
            <article>
              <h2>Your recovery codes</h2>
              <p>
                <strong>Save these now; they are shown only once.</strong> Each one signs you in once if you lose your device.
              </p>
              <pre class="secret" id="recovery-codes" safe>
                {codes.join('\n')}
              </pre>
              <button type="button" data-copy="recovery-codes" class="secondary">
                Copy
              </button>
            </article>,
          )
        },
        (state) => securityPage(request, reply, enrollmentForm(reply, null, state)),
      )
    })
    account.post('/account/security/totp/disable', async (request, reply) => {
      const form = parseForm(PasswordConfirmForm, request.body)
      if (!form.ok) throw new InvalidError('password_required', 'Enter your password to turn off two-factor sign-in.')
      await disableTotp(platform, signedInAuth(request).accountId, form.value.password)
      reply.flash('success', 'Two-factor sign-in is off.')
      return reply.redirect('/account/security')
    })

    account.get('/account/sessions', async (request, reply) => {
      const auth = signedInAuth(request)
      const sessions = await listLoginSessions(platform, auth.accountId)
      const csrf = reply.csrfToken()
      return reply.page(
        'Login sessions',
        <>
          <h1>Login sessions</h1>
          <p>Every browser where you are signed in. Sign out any you do not recognise.</p>
          <table>
            <TableHead columns={['Browser', 'Address', 'Signed in', 'Last active', '']} />
            <tbody>
              {sessions.map((session) => (
                <tr>
                  <td safe>{session.userAgent ?? 'Unknown'}</td>
                  <td safe>{session.ip ?? ''}</td>
                  <td safe>{session.createdAt.toISOString().replace('T', ' ').slice(0, 16)}</td>
                  <td safe>{session.lastSeenAt.toISOString().replace('T', ' ').slice(0, 16)}</td>
                  <td class="actions">
                    {session.id === auth.loginSessionId ? (
                      <span class="badge">This browser</span>
                    ) : (
                      <form method="post" action={`/account/sessions/${session.id}/sign-out`} class="inline">
                        <CsrfField token={csrf} />
                        <button type="submit" class="secondary outline">
                          Sign out
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {sessions.length > 1 && (
            <form method="post" action="/account/sessions/sign-out-others" data-confirm="Sign out every other browser?">
              <CsrfField token={csrf} />
              <button type="submit">Sign out everywhere else</button>
            </form>
          )}
        </>,
      )
    })
    account.post('/account/sessions/sign-out-others', async (request, reply) => {
      const auth = signedInAuth(request)
      if (!auth.loginSessionId) throw new InvalidError('login_session_required', 'Use a browser login session for this.')
      const count = await signOutOtherLoginSessions(platform.db, auth.accountId, auth.loginSessionId)
      await forgetLoginSessionsOf(platform, auth.accountId)
      await platform.audit.recordIn(platform.db, { action: 'identity.other_login_sessions_ended', actorAccountId: auth.accountId, data: { count } })
      reply.flash('success', `Signed out ${count} other login session${count === 1 ? '' : 's'}.`)
      return reply.redirect('/account/sessions')
    })
    account.post('/account/sessions/:id/sign-out', { schema: { params: IdParams } }, async (request, reply) => {
      await signOutLoginSession(platform, signedInAuth(request).accountId, request.params.id)
      reply.flash('success', 'That login session is signed out.')
      return reply.redirect('/account/sessions')
    })

    const apiKeysPage = async (request: FastifyRequest, reply: FastifyReply, state: FormState = {}, created?: string) => {
      const auth = signedInAuth(request)
      const [keys, orgs] = await Promise.all([listApiKeys(platform.db, auth.accountId), listOrgsForAccount(platform, auth.accountId)])
      const orgNames = new Map(orgs.map((org) => [org.id, org.name]))
      const csrf = reply.csrfToken()
      return reply.page(
        'API keys',
        <>
          <h1>API keys</h1>
          <p>
            Personal keys for the <a href="/api/docs">JSON API</a>. Send one as <code>Authorization: Bearer …</code>. A key acts as you, in one organisation,
            and can only read unless it has write access.
          </p>
          {created ? (
            <article class="flash flash-success">
              <p>
                <strong>Copy your new key now; it is shown only once.</strong>
              </p>
              <p class="secret" id="new-api-key" safe>
                {created}
              </p>
              <button type="button" data-copy="new-api-key" class="secondary">
                Copy
              </button>
            </article>
          ) : (
            ''
          )}
          {keys.length === 0 ? (
            <EmptyState>You have no API keys yet.</EmptyState>
          ) : (
            <table>
              <TableHead columns={['Name', 'Key', 'Organisation', 'Access', 'Last used', '']} />
              <tbody>
                {keys.map((key) => (
                  <tr>
                    <td safe>{key.name}</td>
                    <td>
                      <code safe>{`${key.prefix}…`}</code>
                    </td>
                    <td safe>{orgNames.get(key.orgId) ?? key.orgId}</td>
                    <td>{key.scope}</td>
                    <td>{key.lastUsedAt ? key.lastUsedAt.toISOString().slice(0, 16).replace('T', ' ') : 'never'}</td>
                    <td class="actions">
                      <form
                        method="post"
                        action={`/account/api-keys/${key.id}/revoke`}
                        class="inline"
                        data-confirm="Revoke this key? Programs using it stop working."
                      >
                        <CsrfField token={csrf} />
                        <button type="submit" class="secondary outline">
                          Revoke
                        </button>
                      </form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <article>
            <h2>New key</h2>
            {orgs.length === 0 ? (
              <p>Join or create an organisation first: every key acts in one organisation.</p>
            ) : (
              <>
                <FormErrorSummary state={state} />
                <form method="post" action="/account/api-keys" novalidate>
                  <CsrfField token={csrf} />
                  <Field name="name" label="Name" state={state} hint="For example: nightly export script" />
                  <SelectField name="orgId" label="Organisation" options={orgs.map((org) => ({ value: org.id, label: org.name }))} state={state} />
                  <SelectField
                    name="scope"
                    label="Access"
                    options={[
                      { value: 'read', label: 'Read only' },
                      { value: 'write', label: 'Read and write' },
                    ]}
                    state={state}
                  />
                  <button type="submit">Create key</button>
                </form>
              </>
            )}
          </article>
        </>,
      )
    }
    account.get('/account/api-keys', async (request, reply) => apiKeysPage(request, reply))
    account.post('/account/api-keys', async (request, reply) => {
      const form = parseForm(ApiKeyForm, request.body)
      if (!form.ok) return apiKeysPage(request, reply.status(422), form)
      const auth = signedInAuth(request)
      const orgs = await listOrgsForAccount(platform, auth.accountId)
      if (!orgs.some((org) => org.id === form.value.orgId)) {
        return apiKeysPage(request, reply.status(422), { values: form.values, errors: { orgId: 'Choose one of your organisations.' } })
      }
      const { secret } = await createApiKey(platform, { accountId: auth.accountId, ...form.value })
      return apiKeysPage(request, reply.status(201), {}, secret)
    })
    account.post('/account/api-keys/:id/revoke', { schema: { params: IdParams } }, async (request, reply) => {
      await revokeApiKey(platform, signedInAuth(request).accountId, request.params.id)
      reply.flash('success', 'The key is revoked.')
      return reply.redirect('/account/api-keys')
    })
  })
}

export const SIGN_UP_PURPOSE =
  'We use your name, email address and password to create your account and sign you in, your date of birth (optional) only to ask a parent or guardian to confirm the account of a child, and their address only for that.'
export const PROFILE_PURPOSE =
  'Your name appears on your account and on what organisations issue you; your date of birth only decides whether a parent or guardian must confirm your account.'

/** The optional date of birth and, for a child, the parent's or guardian's address. */
function BirthDateFields({ state, birthDate, guardianEmail }: { state: FormState; birthDate?: string | null; guardianEmail?: string | undefined }) {
  return (
    <>
      <Field
        name="birthDate"
        label="Date of birth (optional)"
        type="date"
        autocomplete="bday"
        value={birthDate ?? undefined}
        state={state}
        hint={`Under ${CHILD_AGE}? A parent or guardian must confirm your account.`}
      />
      <Field
        name="guardianEmail"
        label={`Parent’s or guardian’s email (only if you are under ${CHILD_AGE})`}
        type="email"
        value={guardianEmail}
        state={state}
      />
    </>
  )
}
