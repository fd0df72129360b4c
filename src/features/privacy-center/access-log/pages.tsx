import type { TypedApp } from '../../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../../platform/http/auth.ts'
import { EmptyState, SelectField, TableHead } from '../../../platform/ui/components.tsx'
import { formatTime } from '../export/section.tsx'
import { AccessLogQuery } from './contract.ts'
import { type AccessLogEntry, type AccessLogKind, listAccessLog } from './service.ts'

export const ACCESS_LOG_PATH = '/account/privacy/access-log'

const KIND_LABELS: Record<AccessLogKind, string> = {
  sign_in: 'Sign-ins and attempts',
  page: 'Pages and API calls',
  account: 'Changes to your account',
  by_others: 'Changes others made',
  privacy: 'Exports and privacy requests',
}

const ACTION_LABELS: Record<string, string> = {
  'identity.sign_in': 'Sign-in',
  'identity.sign_in_second_factor': 'Two-factor code',
  'identity.sign_in_unlocked': 'Sign-in unlocked',
  'identity.signed_up': 'Account created',
  'identity.password_changed': 'Password changed',
  'identity.password_reset_requested': 'Password reset asked for',
  'identity.password_reset': 'Password reset',
  'identity.email_added': 'Email address added',
  'identity.email_verified': 'Email address confirmed',
  'identity.email_removed': 'Email address removed',
  'identity.primary_email_changed': 'Main email address changed',
  'identity.totp_enabled': 'Two-factor sign-in turned on',
  'identity.totp_disabled': 'Two-factor sign-in turned off',
  'identity.login_session_ended': 'Signed out',
  'identity.api_key_created': 'API key created',
  'identity.api_key_revoked': 'API key revoked',
  'http.page_request': 'Page opened',
  'http.api_request': 'API call',
  'orgs.member_added': 'Added to an organisation',
  'orgs.member_role_changed': 'Role changed',
  'orgs.member_removed': 'Removed from an organisation',
  'privacy.export_requested': 'Data download asked for',
  'privacy.export_downloaded': 'Data downloaded',
}

const ACTOR_LABELS: Record<AccessLogEntry['actor'], string> = { you: 'You', someone_else: 'Someone else (staff)', not_signed_in: 'Someone not signed in' }

/** The entry's details in one line: a sign-in's outcome, a page's path, otherwise its recorded fields. */
function describe(entry: AccessLogEntry): string {
  const { details } = entry
  if (entry.kind === 'page') return `${details.method ?? ''} ${details.path ?? ''} (${details.status ?? ''})`
  if (entry.kind === 'sign_in' && details.result) return `${details.result}${details.reason ? `: ${details.reason}` : ''}`
  return Object.entries(details)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ')
}

export async function accessLogPages(app: TypedApp): Promise<void> {
  const { platform } = app
  app.get(ACCESS_LOG_PATH, { preHandler: requireSignedIn, schema: { querystring: AccessLogQuery } }, async (request, reply) => {
    const kind = request.query.kind || undefined
    const page = await listAccessLog(platform, signedInAuth(request).accountId, { kind, before: request.query.before })
    const hrefFor = (before?: number) => {
      const query = new URLSearchParams({ ...(kind ? { kind } : {}), ...(before ? { before: String(before) } : {}) }).toString()
      return query ? `${ACCESS_LOG_PATH}?${query}` : ACCESS_LOG_PATH
    }
    return reply.page(
      'My access log',
      <>
        <h1>My access log</h1>
        <p>
          Everything recorded about your account: sign-ins and failed attempts with the address and browser they came from, pages you opened, changes you or
          staff made, and your data downloads. If you see something you did not do, change your password and sign out your other sessions.
        </p>
        <form method="get" action={ACCESS_LOG_PATH} class="inline">
          <SelectField
            name="kind"
            label="Show"
            value={kind ?? ''}
            options={[{ value: '', label: 'Everything' }, ...Object.entries(KIND_LABELS).map(([value, label]) => ({ value, label }))]}
          />
          <button type="submit" class="secondary">
            Filter
          </button>
        </form>
        {page.items.length === 0 ? (
          <EmptyState>{request.query.before ? 'No older entries.' : 'Nothing recorded yet.'}</EmptyState>
        ) : (
          <table>
            <TableHead columns={['Time', 'What', 'Details', 'Who', 'Address', 'Browser']} />
            <tbody>
              {page.items.map((entry) => (
                <tr>
                  <td safe>{formatTime(entry.at)}</td>
                  <td safe>{ACTION_LABELS[entry.action] ?? entry.action}</td>
                  <td safe>{describe(entry)}</td>
                  <td safe>{ACTOR_LABELS[entry.actor]}</td>
                  <td safe>{entry.ip ?? ''}</td>
                  <td safe>{entry.userAgent ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <nav aria-label="Pagination" class="pagination">
          <ul>
            <li>{request.query.before ? <a href={hrefFor()}>← Newest</a> : ''}</li>
            <li>{page.nextBefore ? <a href={hrefFor(page.nextBefore)}>Older entries →</a> : ''}</li>
          </ul>
        </nav>
      </>,
    )
  })
}
