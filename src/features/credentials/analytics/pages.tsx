import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { sendCsv } from '../../../platform/csv.ts'
import { NotFoundError } from '../../../platform/errors.ts'
import type { TypedApp, TypedRequest } from '../../../platform/feature.ts'
import { requireSignedIn } from '../../../platform/http/auth.ts'
import { ENGLISH } from '../../../platform/i18n/messages.ts'
import type { Platform } from '../../../platform/platform.ts'
import { LineChart } from '../../../platform/ui/chart.tsx'
import { EmptyState, listHref, Pagination, TableHead } from '../../../platform/ui/components.tsx'
import { getOrg, type OrgScope, requireRole, scopeOf } from '../../orgs/service.ts'
import { getAchievement } from '../achievements.ts'
import { AchievementParams, CredentialParams, PublicCredentialParams } from '../contract.ts'
import { isCredentialHolder } from '../holder.ts'
import { findPublicCredential, getCredential } from '../queries.ts'
import {
  CREDENTIAL_EVENT_KINDS,
  dailySeries,
  EVENT_KIND_LABELS,
  type EventFilter,
  eventTotals,
  listVerifications,
  totalsByAchievement,
  VERIFICATION_CHANNEL_LABELS,
  VERIFICATION_CHANNELS,
  type VerificationChannel,
  type VerificationPage,
} from './analytics.ts'

export const ANALYTICS_DISCLOSURE = ENGLISH.t('credential.analyticsDisclosure')

const PERIODS = [30, 90] as const
const page = Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 }))
const PageQuery = Type.Object({ page })
const AnalyticsQuery = Type.Object({
  days: Type.Optional(Type.Union([Type.Literal('30'), Type.Literal('90')])),
  scale: Type.Optional(Type.Union([Type.Literal('linear'), Type.Literal('log')])),
  page,
})
/** The org's dashboard and an achievement's share their handlers: the achievement ID is optional. */
const analyticsSchema = { params: Type.Partial(AchievementParams), querystring: AnalyticsQuery }

const formatMoment = (date: Date) => `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`

export interface VerificationLogData {
  byChannel: Record<VerificationChannel, number>
  page: VerificationPage
}

export async function loadVerificationLog(platform: Platform, filter: EventFilter, page = 1): Promise<VerificationLogData> {
  const [totals, verifications] = await Promise.all([eventTotals(platform.db, filter), listVerifications(platform.db, filter, page)])
  return { byChannel: totals.verificationsByChannel, page: verifications }
}

/** Verifications by channel, then each one dated (never who made it). `credentialHref` adds a column naming the credential. */
export function VerificationLog({
  log,
  href,
  credentialHref,
}: {
  log: VerificationLogData
  href: (page: number) => string
  credentialHref?: (credentialId: string) => string
}) {
  const { byChannel, page } = log
  if (page.total === 0) {
    return (
      <EmptyState action={{ href: '/verify', label: 'Open the verify page' }}>
        No verifications yet. Employers and others verify a credential from its public page, its QR code or the verify page.
      </EmptyState>
    )
  }
  return (
    <div class="verification-log">
      <table class="verification-channels">
        <TableHead columns={['Channel', 'Verifications']} />
        <tbody>
          {VERIFICATION_CHANNELS.map((channel) => (
            <tr data-channel={channel}>
              <td safe>{VERIFICATION_CHANNEL_LABELS[channel]}</td>
              <td safe>{String(byChannel[channel])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table class="verification-list">
        <TableHead columns={['When', 'Channel', 'Result', ...(credentialHref ? ['Credential'] : [])]} />
        <tbody>
          {page.items.map((item) => (
            <tr>
              <td safe>{formatMoment(item.occurredAt)}</td>
              <td safe>{VERIFICATION_CHANNEL_LABELS[item.channel as VerificationChannel] ?? item.channel}</td>
              <td safe>{(item.outcome ?? '').replaceAll('_', ' ')}</td>
              {credentialHref ? (
                <td>
                  <a href={credentialHref(item.credentialId)} safe>
                    {item.recipientName || item.credentialId}
                  </a>
                  <br />
                  <small safe>{item.achievementName ?? ''}</small>
                </td>
              ) : (
                ''
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <Pagination page={page.page} pageCount={page.pageCount} href={href} />
    </div>
  )
}

export async function analyticsPages(app: TypedApp): Promise<void> {
  const { platform } = app

  /** The dashboard's scope: the whole org, or one of its achievements (404 when not the org's). */
  const dashboardOf = async (request: TypedRequest<typeof analyticsSchema>) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const { achievementId } = request.params
    const achievement = achievementId ? await getAchievement(platform.db, scope, achievementId) : undefined
    const days = Number(request.query.days ?? PERIODS[0])
    const base = achievement ? `/orgs/${scope.orgId}/achievements/${achievement.id}/analytics` : `/orgs/${scope.orgId}/analytics`
    return { scope, achievement, days, base, filter: { orgId: scope.orgId, achievementId: achievement?.id } }
  }

  const seriesOf = async (scope: OrgScope, filter: EventFilter, days: number) => {
    const org = await getOrg(platform.db, scope)
    return dailySeries(platform.db, filter, { days, timeZone: org.timeZone, now: platform.clock.now() })
  }

  const dashboard = async (request: TypedRequest<typeof analyticsSchema>, reply: FastifyReply) => {
    const { scope, achievement, days, base, filter } = await dashboardOf(request)
    const page = request.query.page ?? 1
    const scale = request.query.scale ?? 'linear'
    const since = new Date(platform.clock.now().getTime() - days * 86_400_000)
    const [series, totals, log, byAchievement] = await Promise.all([
      seriesOf(scope, filter, days),
      eventTotals(platform.db, filter, since),
      loadVerificationLog(platform, filter, page),
      achievement ? [] : totalsByAchievement(platform.db, scope.orgId, since),
    ])
    const title = achievement ? `Analytics: ${achievement.name}` : 'Analytics'
    const hasEvents = CREDENTIAL_EVENT_KINDS.some((kind) => totals.byKind[kind] > 0)
    return reply.page(
      title,
      <>
        <hgroup>
          <h1 safe>{title}</h1>
          <p>
            How your credentials are delivered, viewed, shared and verified. Counted without IP addresses, user agents or accounts; views by your own staff are
            not counted.
          </p>
        </hgroup>
        <nav aria-label="Period">
          <ul>
            {PERIODS.map((period) => (
              <li>
                <a
                  href={listHref(base, { days: period, scale: request.query.scale })}
                  aria-current={period === days ? 'page' : undefined}
                  safe
                >{`Last ${period} days`}</a>
              </li>
            ))}
            <li>
              <a href={`${base}/export.csv?days=${days}`}>Download CSV</a>
            </li>
          </ul>
        </nav>
        <div class="stat-grid">
          {CREDENTIAL_EVENT_KINDS.map((kind) => (
            <div data-kind={kind}>
              <small safe>{EVENT_KIND_LABELS[kind]}</small>
              <strong safe>{String(totals.byKind[kind])}</strong>
            </div>
          ))}
        </div>
        <h2>Over time</h2>
        {hasEvents ? (
          <p>
            {scale === 'log' ? <a href={listHref(base, { days })}>Linear scale</a> : <a href={listHref(base, { days, scale: 'log' })}>Logarithmic scale</a>}{' '}
            <small>(a logarithmic scale shows small counts beside large ones)</small>
          </p>
        ) : (
          ''
        )}
        {hasEvents ? (
          <LineChart
            id="events-chart"
            title={`${title}: events per day, last ${days} days`}
            description={CREDENTIAL_EVENT_KINDS.map((kind) => `${EVENT_KIND_LABELS[kind]}: ${totals.byKind[kind]}`).join('; ')}
            labels={series.days}
            formatLabel={(day) => day.slice(5)}
            scale={scale}
            series={CREDENTIAL_EVENT_KINDS.map((kind) => ({ name: EVENT_KIND_LABELS[kind], values: series.counts[kind] }))}
          />
        ) : (
          <EmptyState
            action={{
              href: `/orgs/${scope.orgId}/credentials/issue${achievement ? `?achievementId=${encodeURIComponent(achievement.id)}` : ''}`,
              label: 'Issue a credential',
            }}
          >
            <span safe>{`Nothing counted in the last ${days} days.`}</span> Events appear here when credentials are delivered, viewed, downloaded or verified.
          </EmptyState>
        )}
        {byAchievement.length > 0 ? (
          <>
            <h2>By achievement</h2>
            <table>
              <TableHead columns={['Achievement', 'Page views', 'Verifications']} />
              <tbody>
                {byAchievement.map((row) => (
                  <tr>
                    <td>
                      <a href={`/orgs/${scope.orgId}/achievements/${row.achievementId}/analytics?days=${days}`} safe>
                        {row.name}
                      </a>
                    </td>
                    <td safe>{String(row.views)}</td>
                    <td safe>{String(row.verifications)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : (
          ''
        )}
        <h2>Verifications, all time</h2>
        <VerificationLog
          log={log}
          href={(pageNumber) => listHref(base, { days, scale: request.query.scale, page: pageNumber })}
          credentialHref={(credentialId) => `/orgs/${scope.orgId}/credentials/${credentialId}`}
        />
        {achievement ? (
          <p>
            <a href={`/orgs/${scope.orgId}/achievements/${achievement.id}`}>Back to the achievement</a> ·{' '}
            <a href={`/orgs/${scope.orgId}/analytics`}>All achievements</a>
          </p>
        ) : (
          ''
        )}
      </>,
      { orgId: scope.orgId },
    )
  }

  const csvExport = async (request: TypedRequest<typeof analyticsSchema>, reply: FastifyReply) => {
    const { scope, achievement, days, filter } = await dashboardOf(request)
    const series = await seriesOf(scope, filter, days)
    const rows: (string | number)[][] = [['day', ...CREDENTIAL_EVENT_KINDS]]
    series.days.forEach((day, index) => {
      rows.push([day, ...CREDENTIAL_EVENT_KINDS.map((kind) => series.counts[kind][index] ?? 0)])
    })
    return sendCsv(reply, `analytics-${achievement?.id ?? scope.orgId}-${days}d-${series.days.at(-1) ?? ''}.csv`, rows)
  }

  app.get('/orgs/:orgId/analytics', { schema: analyticsSchema }, dashboard)
  app.get('/orgs/:orgId/analytics/export.csv', { schema: analyticsSchema }, csvExport)
  app.get('/orgs/:orgId/achievements/:achievementId/analytics', { schema: analyticsSchema }, dashboard)
  app.get('/orgs/:orgId/achievements/:achievementId/analytics/export.csv', { schema: analyticsSchema }, csvExport)

  app.get('/orgs/:orgId/credentials/:credentialId/verifications', { schema: { params: CredentialParams, querystring: PageQuery } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const credential = await getCredential(platform.db, scope, request.params.credentialId)
    const base = `/orgs/${scope.orgId}/credentials/${credential.id}`
    const log = await loadVerificationLog(platform, { orgId: scope.orgId, credentialId: credential.id }, request.query.page)
    return reply.page(
      'Verification log',
      <>
        <hgroup>
          <h1>Verification log</h1>
          <p>
            <a href={base} safe>
              {credential.recipientName || credential.id}
            </a>
          </p>
        </hgroup>
        <VerificationLog log={log} href={(page) => `${base}/verifications?page=${page}`} />
      </>,
      { orgId: scope.orgId },
    )
  })

  // The holder's own view: signed in with the email the credential was issued to; anyone else gets 404.
  app.get(
    '/credentials/:credentialId/verifications',
    { preHandler: requireSignedIn, schema: { params: PublicCredentialParams, querystring: PageQuery } },
    async (request, reply) => {
      const found = await findPublicCredential(platform.db, request.params.credentialId)
      if (!found || !(await isCredentialHolder(platform, request.auth, found.credential))) throw new NotFoundError('credential')
      const { credential, achievement } = found
      const filter = { orgId: credential.orgId, credentialId: credential.id }
      const [log, totals] = await Promise.all([loadVerificationLog(platform, filter, request.query.page), eventTotals(platform.db, filter)])
      return reply.page(
        'Who verified your credential',
        <>
          <hgroup>
            <h1>How your credential was used</h1>
            <p>
              <a href={`/credentials/${credential.id}`} safe>
                {achievement?.name ?? credential.id}
              </a>
            </p>
          </hgroup>
          <p safe>{`${ANALYTICS_DISCLOSURE} Your own views and your issuer's are not counted as verifications.`}</p>
          <div class="stat-grid">
            {(['page_viewed', 'pdf_downloaded', 'json_downloaded', 'verified'] as const).map((kind) => (
              <div data-kind={kind}>
                <small safe>{EVENT_KIND_LABELS[kind]}</small>
                <strong safe>{String(totals.byKind[kind])}</strong>
              </div>
            ))}
          </div>
          <h2>Verifications</h2>
          <VerificationLog log={log} href={(page) => `/credentials/${credential.id}/verifications?page=${page}`} />
        </>,
      )
    },
  )
}
