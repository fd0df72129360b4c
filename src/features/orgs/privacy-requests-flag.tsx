import type { Platform } from '../../platform/platform.ts'
import { countDueRequests } from '../privacy-center/requests/service.ts'
import { hasRole, type OrgScope } from './service.ts'

/** The org dashboard's flag of privacy requests near or past their deadline (staff and up; nothing when none). */
export async function PrivacyRequestsFlag({ platform, scope }: { platform: Platform; scope: OrgScope }) {
  if (!hasRole(scope.role, 'staff')) return ''
  const { nearDue, overdue } = await countDueRequests(platform, scope.orgId)
  if (nearDue === 0 && overdue === 0) return ''
  return (
    <article class="privacy-requests-flag">
      <header>Privacy requests</header>
      <p>
        <span safe>{`${overdue} overdue, ${nearDue} due within two working days.`}</span> <a href={`/orgs/${scope.orgId}/privacy/requests`}>Open the queue</a>
      </p>
    </article>
  )
}
