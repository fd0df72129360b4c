import type { TypedApp } from '../../../platform/feature.ts'
import { utcToZoned } from '../../../platform/time-zones.ts'
import { EmptyState } from '../../../platform/ui/components.tsx'
import { TYPE_LABELS } from '../../privacy-center/requests/service.ts'
import { ActivityList } from '../audit/activity-view.tsx'
import { OrgParams } from '../contract.ts'
import { getOrg, hasRole, type OrgScope, scopeOf } from '../service.ts'
import { type ChecklistStep, rememberedStaffDashboard, type StaffDashboard } from './service.ts'

const count = (total: number, one: string, many = `${one}s`) => `${total} ${total === 1 ? one : many}`

/** A number and what it counts (`one` and `many`: the words for 1 and for any other number), linking to the list behind it. */
function KeyNumber({ value, one, many, href }: { value: number; one: string; many: string; href: string }) {
  return (
    <a class="key-number" href={href}>
      <strong safe>{String(value)}</strong> <span safe>{value === 1 ? one : many}</span>
    </a>
  )
}

function Checklist({ steps }: { steps: ChecklistStep[] }) {
  const done = steps.filter((step) => step.isDone).length
  return (
    <article class="checklist">
      <header>
        <h2>Getting started</h2>
        <small safe>{`${done} of ${steps.length} done`}</small>
      </header>
      <ol>
        {steps.map((step) => (
          <li data-step={step.key} class={step.isDone ? 'done' : undefined}>
            {step.isDone ? '✓ ' : ''}
            <a href={step.href} safe>
              {step.label}
            </a>
            {step.isDone ? <span class="visually-hidden"> (done)</span> : ''}
            <br />
            <small safe>{step.hint}</small>
          </li>
        ))}
      </ol>
    </article>
  )
}

function StaffView({ scope, timeZone, dashboard }: { scope: OrgScope; timeZone: string; dashboard: StaffDashboard }) {
  const base = `/orgs/${scope.orgId}`
  const { credentials, privacyRequests } = dashboard
  return (
    <>
      {dashboard.checklist.length > 0 && <Checklist steps={dashboard.checklist} />}
      <section class="key-numbers" aria-label="Key numbers">
        <KeyNumber value={credentials.issuedSince} one="credential issued this month" many="credentials issued this month" href={`${base}/credentials`} />
        <KeyNumber value={credentials.verifiedSince} one="verification this month" many="verifications this month" href={`${base}/analytics`} />
        <KeyNumber value={credentials.pendingDeliveries} one="email waiting to be sent" many="emails waiting to be sent" href={`${base}/credentials`} />
        <KeyNumber value={credentials.failedDeliveries} one="email that failed" many="emails that failed" href={`${base}/credentials?delivery=failed`} />
        <KeyNumber value={privacyRequests.open} one="open privacy request" many="open privacy requests" href={`${base}/privacy/requests`} />
        <KeyNumber value={dashboard.memberCount} one="member" many="members" href={`${base}/members`} />
      </section>
      <div class="grid">
        <article>
          <header>
            <h2>Upcoming exam sessions</h2>
          </header>
          {dashboard.upcomingSessions.length === 0 ? (
            <EmptyState>
              No exam sessions coming up. <a href={`${base}/exam-sessions/new`}>Schedule one</a>.
            </EmptyState>
          ) : (
            <ul class="upcoming-sessions">
              {dashboard.upcomingSessions.map((session) => (
                <li>
                  <a href={`${base}/exam-sessions/${session.id}`} safe>
                    {session.examTitle}
                  </a>
                  <br />
                  <small
                    safe
                  >{`${utcToZoned(session.startsAt, session.timeZone).replace('T', ' ')} (${session.timeZone}) · ${session.seated} of ${count(session.seats, 'seat')} taken`}</small>
                </li>
              ))}
            </ul>
          )}
          <footer>
            <a href={`${base}/exam-sessions`}>All exam sessions</a>
          </footer>
        </article>
        <article class="privacy-requests-flag">
          <header>
            <h2>Privacy requests</h2>
          </header>
          {privacyRequests.open === 0 ? (
            <p>No open privacy requests.</p>
          ) : (
            <>
              <p safe>{`${privacyRequests.overdue} overdue, ${privacyRequests.nearDue} due within two working days.`}</p>
              <ul>
                {privacyRequests.nearest.map((request) => (
                  <li class={request.isOverdue ? 'overdue' : undefined}>
                    <a href={`${base}/privacy/requests/${request.id}`} safe>
                      {TYPE_LABELS[request.type]}
                    </a>{' '}
                    <small safe>{`${request.deadline} (${utcToZoned(request.dueAt, timeZone).slice(0, 10)})`}</small>
                  </li>
                ))}
              </ul>
            </>
          )}
          <footer>
            <a href={`${base}/privacy/requests`}>Open the queue</a>
          </footer>
        </article>
      </div>
      {hasRole(scope.role, 'admin') && (
        <article>
          <header>
            <h2>Recent activity</h2>
          </header>
          {dashboard.recentActivity.length === 0 ? <p>Nothing yet.</p> : <ActivityList lines={dashboard.recentActivity} />}
          <footer>
            <a href={`${base}/audit`}>The full audit log</a>
          </footer>
        </article>
      )}
    </>
  )
}

/** What a member below staff does here: their own credentials and exam registrations. */
function MemberView() {
  return (
    <article>
      <ul>
        <li>
          <a href="/me/credentials">My credentials</a>: the credentials issued to you, to share or download.
        </li>
        <li>
          <a href="/me/exam-registrations">My exam registrations</a>: the exam sessions you are registered for.
        </li>
      </ul>
    </article>
  )
}

export async function dashboardPages(app: TypedApp): Promise<void> {
  const { platform } = app

  app.get('/orgs/:orgId', { schema: { params: OrgParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    const org = request.memberships?.find((membership) => membership.id === scope.orgId) ?? (await getOrg(platform.db, scope))
    const dashboard = hasRole(scope.role, 'staff') ? await rememberedStaffDashboard(platform, scope, org.timeZone) : undefined
    return reply.page(
      org.name,
      <>
        <h1 safe>{org.name}</h1>
        <p>
          Your role: <span class="badge">{scope.role}</span> · Time zone: <span safe>{org.timeZone}</span>
        </p>
        {dashboard ? <StaffView scope={scope} timeZone={org.timeZone} dashboard={dashboard} /> : <MemberView />}
      </>,
      { orgId: org.id },
    )
  })
}
