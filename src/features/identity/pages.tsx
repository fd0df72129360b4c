import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { InvalidError } from '../../platform/errors.ts'
import type { TypedApp } from '../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../platform/http/auth.ts'
import { parseForm } from '../../platform/http/forms.ts'
import { LanguageSelect } from '../../platform/i18n/language-select.tsx'
import { ENGLISH } from '../../platform/i18n/messages.ts'
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
import { authPages, BirthDateFields, waitingForGuardianPage } from './auth-pages.tsx'
import { ApiKeyForm, ChangePasswordForm, PasswordConfirmForm, ProfileForm, TotpCodeForm } from './contract.ts'
import { withFormErrors } from './form-helpers.ts'
import { guardianOf, isAwaitingGuardian, isChildBirthDate } from './guardians.ts'
import { forgetLoginSessionsOf, LOGIN_SESSION_COOKIE, listLoginSessions, signOutLoginSession, signOutOtherLoginSessions } from './login-sessions.ts'
import { changePassword, getAccount, updateProfile } from './service.ts'
import { confirmTotpEnrollment, countUnusedRecoveryCodes, disableTotp, startTotpEnrollment } from './two-factor.ts'

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) })

export async function identityPages(app: TypedApp): Promise<void> {
  const { platform } = app

  await authPages(app)

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
              <BirthDateFields state={state} birthDate={me.birthDate} guardianEmail={guardian?.email} messages={ENGLISH} />
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
            return waitingForGuardianPage(request, reply)
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

export const PROFILE_PURPOSE =
  'Your name appears on your account and on what organisations issue you; your date of birth only decides whether a parent or guardian must confirm your account.'
