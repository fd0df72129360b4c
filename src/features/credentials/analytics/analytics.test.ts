import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { and, eq, sql } from 'drizzle-orm'
import { newOrg, newPerson, type PersonFixture, uniqueEmail } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import { pngOfSize } from '../../../../test/support/images.ts'
import { uploadJsonToVerify } from '../../../../test/support/verify-upload.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { createAchievement } from '../achievements.ts'
import { checkImage } from '../images/images.ts'
import { type CredentialRow, issueCredential } from '../issuance/issuance.ts'
import { credentialsPrivacy } from '../privacy.ts'
import { credentialEvents } from '../schema.ts'
import { dailySeries, flushCredentialEvents, recordCredentialEvent } from './analytics.ts'

let testApp: TestApp
let scope: OrgScope
let owner: PersonFixture
let holder: PersonFixture
let achievementId: string
let credential: CredentialRow

before(async () => {
  testApp = await startTestApp()
  const created = await newOrg(testApp, 'Meridian Skills Council')
  owner = created.owner
  scope = { orgId: created.org.id, accountId: owner.account.id, role: 'owner' }
  holder = await newPerson(testApp, { name: 'Ada Holder' })
  const achievement = await createAchievement(testApp.platform, scope, {
    name: 'Certified Rigger',
    description: 'Can plan and supervise safe lifts.',
    criteria: 'Pass the rigging exam.',
    tags: [],
    alignments: [],
    validityMonths: 36,
    image: checkImage(pngOfSize(200, 200)),
  })
  achievementId = achievement.id
  credential = (await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: holder.email, recipientName: 'Ada Holder' })).credential
})
after(() => testApp.close())

async function eventsOf(credentialId: string, kind?: string) {
  await flushCredentialEvents(testApp.platform)
  return testApp.platform.db
    .select()
    .from(credentialEvents)
    .where(and(eq(credentialEvents.credentialId, credentialId), kind ? eq(credentialEvents.kind, kind as 'verified') : undefined))
}

/** Verifications per channel as a page shows them (the channel table of the verification log). */
function channelCounts(html: string): Record<string, number> {
  return Object.fromEntries([...html.matchAll(/<tr data-channel="([^"]+)"><td>[^<]*<\/td><td>(\d+)<\/td>/g)].map((match) => [match[1], Number(match[2])]))
}

function kindCount(html: string, kind: string): number {
  const match = new RegExp(`data-kind="${kind}"><small>[^<]*</small><strong>(\\d+)</strong>`).exec(html)
  assert.ok(match, `no count for ${kind}`)
  return Number(match[1])
}

/** Every text or JSON column of every table that contains `needle`. */
async function columnsContaining(needle: string): Promise<string[]> {
  const { db } = testApp.platform
  const columns = await db.execute<{ table_schema: string; table_name: string; column_name: string }>(sql`
    select table_schema, table_name, column_name from information_schema.columns
    where table_schema not in ('pg_catalog', 'information_schema') and data_type in ('text', 'character varying', 'json', 'jsonb')`)
  const found: string[] = []
  for (const column of columns.rows) {
    const result = await db.execute<{ count: string }>(
      sql`select count(*) as count from ${sql.identifier(column.table_schema)}.${sql.identifier(column.table_name)}
          where ${sql.identifier(column.column_name)}::text like ${`%${needle}%`}`,
    )
    if (Number(result.rows[0]?.count) > 0) found.push(`${column.table_schema}.${column.table_name}.${column.column_name}`)
  }
  return found
}

describe('the verification log', () => {
  it('counts a third party’s page view, JSON API call and /verify upload by channel, for the holder and the issuer, storing no IP address', async () => {
    const userAgent = `VerifierBrowser/${randomBytes(6).toString('hex')}`
    const verifier = testApp.client()
    const asVerifier = { 'user-agent': userAgent }
    const page = await verifier.request({ method: 'GET', url: `/credentials/${credential.id}`, headers: asVerifier })
    assert.equal(page.statusCode, 200)
    const api = await verifier.request({
      method: 'POST',
      url: '/api/v1/verify',
      headers: { ...asVerifier, 'content-type': 'application/json', accept: 'application/json' },
      payload: { id: credential.id },
    })
    assert.equal(api.json().verdict, 'valid')
    const upload = await uploadJsonToVerify(verifier, credential.document, asVerifier)
    assert.match(upload.body, /data-verdict="valid"/)

    // Not verifications: the holder's and the issuer's own looks, a forged copy, a link preview bot.
    const holderClient = testApp.client()
    await holderClient.signIn(holder.email, holder.password)
    const ownPage = await holderClient.get(`/credentials/${credential.id}`)
    assert.match(ownPage.body, new RegExp(`href="/credentials/${credential.id}/verifications"`), 'the holder is pointed to the log')
    assert.match(ownPage.body, /<details class="share" open>/, 'and offered to share')
    const staffClient = testApp.client()
    await staffClient.signIn(owner.email, owner.password)
    await staffClient.get(`/credentials/${credential.id}`)
    await staffClient.get(`/verify?id=${credential.id}`)
    const forged = JSON.parse(JSON.stringify(credential.document).replace('Ada Holder', 'Ada Forger'))
    assert.match((await uploadJsonToVerify(testApp.client(), forged)).body, /data-verdict="invalid_signature"/)
    await testApp.client().request({ method: 'GET', url: `/credentials/${credential.id}`, headers: { 'user-agent': 'LinkedInBot/1.0' } })

    const verifications = await eventsOf(credential.id, 'verified')
    assert.deepEqual(verifications.map((event) => event.channel).sort(), ['api', 'page', 'verify-page'])
    assert.ok(verifications.every((event) => event.outcome === 'valid' && event.achievementId === achievementId))

    const holderView = await holderClient.get(`/credentials/${credential.id}/verifications`)
    assert.equal(holderView.statusCode, 200)
    assert.deepEqual(channelCounts(holderView.body), { page: 1, api: 1, 'verify-page': 1, 'vc-api': 0 })
    assert.equal((holderView.body.match(/ UTC<\/td>/g) ?? []).length, 3, 'three dated entries')

    const issuerView = await staffClient.get(`/orgs/${scope.orgId}/credentials/${credential.id}`)
    assert.deepEqual(channelCounts(issuerView.body), { page: 1, api: 1, 'verify-page': 1, 'vc-api': 0 })
    const dashboard = await staffClient.get(`/orgs/${scope.orgId}/achievements/${achievementId}/analytics`)
    assert.deepEqual(channelCounts(dashboard.body), { page: 1, api: 1, 'verify-page': 1, 'vc-api': 0 })

    await testApp.platform.audit.flush()
    assert.deepEqual(await columnsContaining(verifier.ip), [], 'the verifier’s IP address is stored nowhere')
    assert.deepEqual(await columnsContaining(userAgent), [], 'nor its user agent')
  })

  it('shows the holder’s log only to the holder', async () => {
    const stranger = await newPerson(testApp)
    const client = testApp.client()
    assert.equal((await client.get(`/credentials/${credential.id}/verifications`)).statusCode, 302, 'signed out: sign in first')
    await client.signIn(stranger.email, stranger.password)
    assert.equal((await client.get(`/credentials/${credential.id}/verifications`)).statusCode, 404)
  })

  it('says so when nothing was verified yet, and counts VC-API verifications', async () => {
    const { credential: fresh } = await issueCredential(testApp.platform, scope, {
      achievementId,
      recipientEmail: uniqueEmail(),
      recipientName: 'Fresh Holder',
    })
    const staffClient = testApp.client()
    await staffClient.signIn(owner.email, owner.password)
    assert.match(textOf((await staffClient.get(`/orgs/${scope.orgId}/credentials/${fresh.id}`)).body), /No verifications yet\./)
    const response = await testApp.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: fresh.document } })
    assert.equal(response.statusCode, 200, response.body)
    await flushCredentialEvents(testApp.platform)
    assert.deepEqual(channelCounts((await staffClient.get(`/orgs/${scope.orgId}/credentials/${fresh.id}`)).body), {
      page: 0,
      api: 0,
      'verify-page': 0,
      'vc-api': 1,
    })
  })
})

describe('engagement analytics', () => {
  it('counts an opened email link without calling it a verification, and JSON downloads', async () => {
    const { credential: emailed } = await issueCredential(testApp.platform, scope, {
      achievementId,
      recipientEmail: uniqueEmail(),
      recipientName: 'Mail Reader',
    })
    const reader = testApp.client()
    assert.equal((await reader.get(`/credentials/${emailed.id}?via=email`)).statusCode, 200)
    assert.equal((await reader.get(`/credentials/${emailed.id}.json`)).statusCode, 200)
    const kinds = (await eventsOf(emailed.id)).map((event) => `${event.kind}:${event.channel}`).sort()
    assert.deepEqual(kinds, ['json_downloaded:web', 'link_opened:email', 'page_viewed:email'], 'an email waiting in the outbox is not delivered')
  })

  it('moves the dashboard counts and exports the series as CSV', async () => {
    const staffClient = testApp.client()
    await staffClient.signIn(owner.email, owner.password)
    const base = `/orgs/${scope.orgId}/analytics`
    await flushCredentialEvents(testApp.platform) // events recorded so far (the issuance's delivery) count as before
    const before = await staffClient.get(base)
    assert.equal(before.statusCode, 200)
    const viewsBefore = kindCount(before.body, 'page_viewed')
    const deliveredBefore = kindCount(before.body, 'delivered')
    await testApp.client().get(`/credentials/${credential.id}`)
    await testApp.client().get(`/credentials/${credential.id}?via=linkedin`)
    await recordCredentialEvent(testApp.platform, { orgId: scope.orgId, credentialId: credential.id, kind: 'delivered', channel: 'email' })
    await recordCredentialEvent(testApp.platform, { orgId: 'org_not_the_issuer', credentialId: credential.id, kind: 'delivered', channel: 'email' })
    await flushCredentialEvents(testApp.platform)
    const after = await staffClient.get(base)
    assert.equal(kindCount(after.body, 'page_viewed'), viewsBefore + 2)
    assert.equal(kindCount(after.body, 'delivered'), deliveredBefore + 1, 'an event naming another org is dropped')
    assert.match(after.body, /<svg viewBox="0 0 720 240" role="img" aria-labelledby="events-chart-title events-chart-desc"/)
    assert.match(after.body, /<title id="events-chart-title">/)
    assert.match(after.body, new RegExp(`href="/orgs/${scope.orgId}/achievements/${achievementId}/analytics\\?days=30">Certified Rigger</a>`))
    assert.match(after.body, /data-scale="linear"/)
    const logarithmic = await staffClient.get(`${base}?days=90&scale=log`)
    assert.match(logarithmic.body, /data-scale="log"/)
    assert.match(logarithmic.body, new RegExp(`href="${base}\\?days=90">Linear scale</a>`))
    assert.match(logarithmic.body, new RegExp(`href="${base}\\?days=30&scale=log"[^>]*>Last 30 days</a>`), 'the period links keep the scale')

    // Days as the clock reads them around the export, which may run just as a day ends (the org's time zone is UTC).
    const dayBefore = testApp.platform.clock.now().toISOString().slice(0, 10)
    const csv = await staffClient.get(`${base}/export.csv?days=30`)
    const dayAfter = testApp.platform.clock.now().toISOString().slice(0, 10)
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8')
    const lines = csv.body.trim().split('\n')
    assert.equal(lines[0], 'day,delivered,link_opened,page_viewed,pdf_downloaded,json_downloaded,linkedin_clicked,verified')
    assert.equal(lines.length, 31, 'a header and one row per day')
    assert.ok([dayBefore, dayAfter].includes(lines.at(-1)?.split(',')[0] ?? ''), 'the last row is today')
    const pageViews = lines.slice(1).reduce((sum, line) => sum + Number(line.split(',')[3]), 0)
    assert.equal(pageViews, kindCount(after.body, 'page_viewed'), 'every page view of the period, on whichever day it fell')
    assert.equal((await staffClient.get(`${base}/export.csv?days=90`)).body.trim().split('\n').length, 91)
    assert.equal((await staffClient.get(`/orgs/${scope.orgId}/achievements/${achievementId}/analytics/export.csv`)).statusCode, 200)
  })

  it('buckets days in the org’s time zone', async () => {
    const now = testApp.platform.clock.now()
    const events = await eventsOf(credential.id)
    for (const timeZone of ['Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
      const localDate = new Intl.DateTimeFormat('en-CA', { timeZone })
      const series = await dailySeries(testApp.platform.db, { orgId: scope.orgId, credentialId: credential.id }, { days: 3, timeZone, now })
      assert.equal(series.days.at(-1), localDate.format(now))
      const expected = series.days.map((day) => events.filter((event) => localDate.format(event.occurredAt) === day).length)
      const actual = series.days.map((_, index) => Object.values(series.counts).reduce((sum, values) => sum + (values[index] ?? 0), 0))
      assert.deepEqual(actual, expected, timeZone)
      assert.ok(actual.reduce((a, b) => a + b) > 0)
    }
  })

  it('shows an empty state before anything is counted', async () => {
    const other = await newOrg(testApp, 'Quiet Org')
    const client = testApp.client()
    await client.signIn(other.owner.email, other.owner.password)
    const page = textOf((await client.get(`/orgs/${other.org.id}/analytics?days=90`)).body)
    assert.match(page, /Nothing counted in the last 90 days\./)
    assert.match(page, /No verifications yet\./)
  })
})

describe('sharing', () => {
  it('counts a click on "Add to LinkedIn profile" and sends it to LinkedIn with the certification prefilled', async () => {
    const response = await testApp.client().get(`/credentials/${credential.id}/linkedin`)
    assert.equal(response.statusCode, 302)
    const location = new URL(String(response.headers.location))
    assert.equal(`${location.origin}${location.pathname}`, 'https://www.linkedin.com/profile/add')
    const parameters = Object.fromEntries(location.searchParams)
    assert.deepEqual(parameters, {
      startTask: 'CERTIFICATION_NAME',
      name: 'Certified Rigger',
      organizationName: 'Meridian Skills Council',
      issueYear: String(credential.validFrom.getUTCFullYear()),
      issueMonth: String(credential.validFrom.getUTCMonth() + 1),
      expirationYear: String(credential.validUntil?.getUTCFullYear()),
      expirationMonth: String((credential.validUntil?.getUTCMonth() ?? 0) + 1),
      certUrl: `http://laurel.test/credentials/${credential.id}?via=linkedin`,
      certId: credential.id,
    })
    assert.equal((await eventsOf(credential.id, 'linkedin_clicked')).length, 1)
  })

  it('puts Open Graph tags, share links, the badge snippet and the analytics notice on the public page', async () => {
    const response = await testApp.client().get(`/credentials/${credential.id}`)
    const imageUrl = `http://laurel.test/achievements/${achievementId}/image`
    assert.match(response.body, /<meta property="og:title" content="Certified Rigger"/)
    assert.match(response.body, /<meta property="og:description" content="Can plan and supervise safe lifts\."/)
    assert.match(response.body, new RegExp(`<meta property="og:image" content="${imageUrl}"`))
    assert.match(response.body, new RegExp(`<meta property="og:url" content="http://laurel.test/credentials/${credential.id}"`))
    assert.match(response.body, /<meta name="twitter:card" content="summary"/)
    assert.match(response.body, /href="https:\/\/x\.com\/intent\/tweet\?/)
    assert.match(response.body, /href="https:\/\/www\.linkedin\.com\/sharing\/share-offsite\/\?url=/)
    assert.match(response.body, /href="mailto:\?subject=/)
    const snippet = /<textarea id="embed-snippet"[^>]*>([^<]*)<\/textarea>/.exec(response.body)?.[1] ?? ''
    assert.match(snippet, new RegExp(`&lt;img src=&#34;${imageUrl}&#34;`))
    assert.match(textOf(response.body), /We count views and verifications of this credential; we store no IP addresses\./)
    const image = await testApp.client().get(`/achievements/${achievementId}/image`)
    assert.equal(image.headers['cross-origin-resource-policy'], 'cross-origin', 'other websites may show the badge')
  })
})

describe('privacy', () => {
  it('exports a holder’s credential events and erases them', async () => {
    const email = uniqueEmail('erased')
    const { credential: own } = await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: email, recipientName: 'To Be Erased' })
    await testApp.client().get(`/credentials/${own.id}`)
    assert.equal((await eventsOf(own.id)).length, 2)
    const exported = await credentialsPrivacy.export(testApp.platform.db, { accountId: null, email })
    const events = exported.credentialEvents as { credentialId: string; kind: string }[]
    assert.deepEqual(events.map((event) => event.kind).sort(), ['page_viewed', 'verified'])
    await testApp.platform.db.transaction((tx) => credentialsPrivacy.erase(tx, { accountId: null, email }, () => {}))
    assert.equal((await eventsOf(own.id)).length, 0)
    assert.ok((await eventsOf(credential.id)).length > 0, 'other people’s events stay')
  })
})
