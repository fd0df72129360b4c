import { Type } from 'typebox'
import { InvalidError } from '../../../platform/errors.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../../platform/http/auth.ts'
import { parseForm } from '../../../platform/http/forms.ts'
import { API_RATE_LIMIT } from '../../../platform/http/server.tsx'
import { CsrfField, EmptyState, TableHead } from '../../../platform/ui/components.tsx'
import { verifiedEmailsOf } from '../../identity/service.ts'
import { orgNamesOf } from '../../orgs/service.ts'
import type { ConsentPurpose } from './schema.ts'
import { type Consent, consentsInForce, listConsents, PURPOSE_NAMES, readUnsubscribeToken, unsubscribeWithToken, withdrawConsent } from './service.ts'

const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 2000 }) })
export const WithdrawForm = Type.Object({
  purpose: Type.Union([Type.Literal('marketing'), Type.Literal('credential_emails')], { errorMessage: 'Choose which consent to withdraw.' }),
  orgId: Type.Optional(Type.String({ maxLength: 64 })),
  email: Type.String({ minLength: 3, maxLength: 254, errorMessage: 'Choose the address the consent is for.' }),
})

export interface ConsentView {
  id: string
  email: string
  orgId: string | null
  orgName: string
  purpose: ConsentPurpose
  purposeName: string
  grantedAt: Date | null
  wordingVersion: string | null
  source: string
  withdrawnAt: Date | null
  inForce: boolean
}

/** The person's consent records across their verified addresses, newest first, marked in force or not. */
export async function consentViewsOf(app: TypedApp, accountId: string): Promise<ConsentView[]> {
  const { platform } = app
  const records = await listConsents(platform.db, await verifiedEmailsOf(platform, accountId))
  const inForce = new Set(consentsInForce(records).map((record) => record.id))
  const names = await orgNamesOf(
    platform.db,
    records.flatMap((record) => (record.orgId ? [record.orgId] : [])),
  )
  return records.map((record: Consent) => ({
    id: record.id,
    email: record.email,
    orgId: record.orgId,
    orgName: record.orgId ? (names.get(record.orgId) ?? record.orgId) : 'Laurel (this platform)',
    purpose: record.purpose,
    purposeName: PURPOSE_NAMES[record.purpose],
    grantedAt: record.grantedAt,
    wordingVersion: record.wordingVersion,
    source: record.source,
    withdrawnAt: record.withdrawnAt,
    inForce: inForce.has(record.id),
  }))
}

const day = (date: Date | null) => (date ? date.toISOString().slice(0, 16).replace('T', ' ') : '')

/**
 * The person's consents with a withdraw button each, and the history of every record; for the My privacy
 * page. Emails about credentials hold unless withdrawn, so only their withdrawals appear here.
 */
export function ConsentSection({ consents, csrfToken }: { consents: ConsentView[]; csrfToken: string }) {
  const current = consents.filter((consent) => consent.inForce)
  return (
    <section id="consents">
      <h2>Your consents</h2>
      {current.length === 0 ? (
        <EmptyState>You have given no consent that is in force. Marketing email is sent only to people who ticked the box for it.</EmptyState>
      ) : (
        <table>
          <TableHead columns={['What', 'Given to', 'Address', 'Since', '']} />
          <tbody>
            {current.map((consent) => (
              <tr>
                <td safe>{consent.purposeName}</td>
                <td safe>{consent.orgName}</td>
                <td safe>{consent.email}</td>
                <td safe>{day(consent.grantedAt)}</td>
                <td class="actions">
                  <form method="post" action="/account/privacy/consents/withdraw" class="inline">
                    <CsrfField token={csrfToken} />
                    <input type="hidden" name="purpose" value={consent.purpose} />
                    <input type="hidden" name="orgId" value={consent.orgId ?? ''} />
                    <input type="hidden" name="email" value={consent.email} />
                    <button type="submit" class="secondary outline">
                      Withdraw
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {consents.length > 0 && (
        <details>
          <summary>History of your consents</summary>
          <table>
            <TableHead columns={['What', 'Given to', 'Address', 'Given', 'Wording', 'From', 'Withdrawn']} />
            <tbody>
              {consents.map((consent) => (
                <tr>
                  <td safe>{consent.purposeName}</td>
                  <td safe>{consent.orgName}</td>
                  <td safe>{consent.email}</td>
                  <td safe>{day(consent.grantedAt)}</td>
                  <td safe>{consent.wordingVersion ?? ''}</td>
                  <td safe>{consent.source.replaceAll('_', ' ')}</td>
                  <td safe>{day(consent.withdrawnAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </section>
  )
}

export async function consentPages(app: TypedApp): Promise<void> {
  const { platform } = app

  // One-click unsubscribe (RFC 8058). GET only shows a button: mail scanners open links, and must not unsubscribe anyone.
  const describe = async (token: string) => {
    const target = readUnsubscribeToken(platform, token)
    const orgName = target.orgId ? ((await orgNamesOf(platform.db, [target.orgId])).get(target.orgId) ?? 'the organisation') : 'Laurel'
    return { target, what: `${target.purpose === 'marketing' ? 'News and offers' : 'Emails about your credentials'} from ${orgName}` }
  }
  app.get('/unsubscribe/:token', { schema: { params: TokenParams } }, async (request, reply) => {
    const { target, what } = await describe(request.params.token)
    return reply.page(
      'Unsubscribe',
      <article class="narrow">
        <h1>Unsubscribe</h1>
        <p>
          Stop <strong safe>{what}</strong> to <strong safe>{target.email}</strong>?
        </p>
        <form method="post" action={`/unsubscribe/${encodeURIComponent(request.params.token)}`}>
          <button type="submit">Unsubscribe</button>
        </form>
      </article>,
    )
  })
  // Mail providers send one-click unsubscribes from a few addresses of their own: the API's allowance, not sign-in's.
  const oneClick = { rateLimit: API_RATE_LIMIT, isOneClickPost: true }
  app.post('/unsubscribe/:token', { config: oneClick, schema: { params: TokenParams } }, async (request, reply) => {
    const { what } = await describe(request.params.token)
    await unsubscribeWithToken(platform, request.params.token)
    return reply.page(
      'Unsubscribed',
      <article class="narrow">
        <h1>You are unsubscribed</h1>
        <p safe>{`${what}: no more. It may take a moment for messages already on their way.`}</p>
      </article>,
    )
  })

  await app.register(async (account: TypedApp) => {
    account.addHook('preHandler', requireSignedIn)
    account.post('/account/privacy/consents/withdraw', async (request, reply) => {
      const form = parseForm(WithdrawForm, request.body)
      if (!form.ok) throw new InvalidError('invalid_withdrawal', Object.values(form.errors).join(' '), form.errors)
      const auth = signedInAuth(request)
      await withdrawOwnConsent(app, auth.accountId, { ...form.value, orgId: form.value.orgId || null, via: 'profile' })
      reply.flash('success', 'Consent withdrawn.')
      return reply.redirect('/account/privacy#consents')
    })
  })
}

/** Withdraws a consent of one of the account's verified addresses (all of them when `email` is absent). */
export async function withdrawOwnConsent(
  app: TypedApp,
  accountId: string,
  input: { purpose: ConsentPurpose; orgId: string | null; email?: string | undefined; via: 'profile' | 'api' },
): Promise<boolean> {
  const { platform } = app
  const emails = await verifiedEmailsOf(platform, accountId)
  const targets = input.email ? emails.filter((email) => email === input.email?.toLowerCase()) : emails
  if (targets.length === 0)
    throw new InvalidError('not_your_address', 'That address is not one of your verified addresses.', { email: 'Choose one of your addresses.' })
  return platform.db.transaction(async (tx) => {
    let changed = false
    for (const email of targets)
      changed = (await withdrawConsent(platform, tx, { email, orgId: input.orgId, purpose: input.purpose, accountId, via: input.via })) || changed
    return changed
  })
}
