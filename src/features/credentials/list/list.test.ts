import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { and, eq, inArray } from 'drizzle-orm'
import { newIssuingOrg, uniqueEmail } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, type TestClient, textOf } from '../../../../test/support/harness.ts'
import { auditEntries } from '../../../platform/audit/schema.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { createAchievement } from '../achievements.ts'
import { getDelivery } from '../delivery/delivery.ts'
import { issueCredentials } from '../issuance/issuance.ts'
import { credentials } from '../schema.ts'
import { revokeCredential } from '../status.ts'

let testApp: TestApp

before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

interface IssuingOrg {
  orgId: string
  scope: OrgScope
  achievementId: string
  staff: TestClient
  apiKey: string
}

async function signedInOrg(): Promise<IssuingOrg> {
  const { org, owner, scope, achievementId, apiKey } = await newIssuingOrg(testApp)
  const staff = testApp.client()
  await staff.signIn(owner.email, owner.password)
  return { orgId: org.id, scope, achievementId, staff, apiKey }
}

async function issue(org: IssuingOrg, names: string[], validFrom?: (index: number) => Date) {
  const outcomes = await issueCredentials(
    testApp.platform,
    org.scope,
    names.map((recipientName, index) => ({ achievementId: org.achievementId, recipientName, recipientEmail: uniqueEmail(), validFrom: validFrom?.(index) })),
  )
  return outcomes.map((outcome) => outcome.credential.id)
}

/** Recipient names in the order the list page shows them. */
const namesOnPage = (html: string) => [...html.matchAll(/<a href="\/orgs\/[^/]+\/credentials\/cred_[0-9a-z]+">([^<]*)<\/a>/g)].map((match) => match[1])
const hrefs = (html: string, text: RegExp) =>
  [...html.matchAll(/<a href="([^"]+)"[^>]*>([\s\S]*?)<\/a>/g)]
    .filter((match) => text.test(match[2] ?? ''))
    .map((match) => (match[1] ?? '').replaceAll('&amp;', '&'))

describe('sorting the credential list', () => {
  it('orders by a column, case-insensitively, both ways, and marks the sorted header with aria-sort', async () => {
    const org = await signedInOrg()
    await issue(org, ['charlie Chaplin', 'Ada Lovelace', 'Bob Marley'])
    const ascending = await org.staff.get(`/orgs/${org.orgId}/credentials?sort=recipient&dir=asc`)
    assert.equal(ascending.statusCode, 200)
    assert.deepEqual(namesOnPage(ascending.body), ['Ada Lovelace', 'Bob Marley', 'charlie Chaplin'])
    assert.match(ascending.body, /<th scope="col" aria-sort="ascending"><a href="[^"]*sort=recipient&dir=desc"/)
    const descending = await org.staff.get(`/orgs/${org.orgId}/credentials?sort=recipient&dir=desc`)
    assert.deepEqual(namesOnPage(descending.body), ['charlie Chaplin', 'Bob Marley', 'Ada Lovelace'])
    assert.match(descending.body, /aria-sort="descending"/)
  })

  it('orders by issue date, and the same through the API', async () => {
    const org = await signedInOrg()
    const day = (offset: number) => new Date(Date.UTC(2026, 0, 10 + offset))
    await issue(org, ['Middle', 'Oldest', 'Newest'], (index) => day([0, -5, 5][index] ?? 0))
    const page = await org.staff.get(`/orgs/${org.orgId}/credentials?sort=issued&dir=desc`)
    assert.deepEqual(namesOnPage(page.body), ['Newest', 'Middle', 'Oldest'])
    const api = await testApp.app.inject({
      method: 'GET',
      url: `/api/v1/orgs/${org.orgId}/credentials?sort=issued&dir=asc`,
      headers: { authorization: `Bearer ${org.apiKey}` },
    })
    assert.deepEqual(
      api.json().items.map((item: { recipientName: string }) => item.recipientName),
      ['Oldest', 'Middle', 'Newest'],
    )
  })

  it('ignores a column it does not offer, newest first as by default, and refuses one that is not a plain name', async () => {
    const org = await signedInOrg()
    await issue(org, ['First issued'])
    await issue(org, ['Second issued'])
    const unknown = await org.staff.get(`/orgs/${org.orgId}/credentials?sort=revocationReason&dir=asc`)
    assert.equal(unknown.statusCode, 200)
    assert.deepEqual(namesOnPage(unknown.body), ['Second issued', 'First issued'])
    assert.doesNotMatch(unknown.body, /aria-sort=/)
    const injected = await org.staff.get(`/orgs/${org.orgId}/credentials?sort=${encodeURIComponent('recipient_name; drop table credentials')}`)
    assert.equal(injected.statusCode, 400)
    const inherited = await org.staff.get(`/orgs/${org.orgId}/credentials?sort=constructor`)
    assert.equal(inherited.statusCode, 200)
    assert.deepEqual(namesOnPage(inherited.body), ['Second issued', 'First issued'])
  })
})

describe('sorting the achievement list', () => {
  it('orders by validity both ways with those that never expire last, keeping the search in its links', async () => {
    const org = await signedInOrg()
    for (const [name, validityMonths] of [
      ['Sort Forever', null],
      ['Sort Yearly', 12],
      ['Sort Monthly', 1],
    ] as const) {
      await createAchievement(testApp.platform, org.scope, { name, description: 'd', criteria: 'c', tags: [], alignments: [], validityMonths })
    }
    const names = (html: string) => [...html.matchAll(/>(Sort \w+)<\/a>/g)].map((match) => match[1])
    const shortest = await org.staff.get(`/orgs/${org.orgId}/achievements?search=Sort&sort=validity&dir=asc`)
    assert.deepEqual(names(shortest.body), ['Sort Monthly', 'Sort Yearly', 'Sort Forever'])
    const longest = await org.staff.get(`/orgs/${org.orgId}/achievements?search=Sort&sort=validity&dir=desc`)
    assert.deepEqual(names(longest.body), ['Sort Yearly', 'Sort Monthly', 'Sort Forever'])
    assert.match(longest.body, /aria-sort="descending"><a href="[^"]*\?search=Sort&sort=validity&dir=asc"/)
    assert.match(longest.body, /<a href="[^"]*\?search=Sort&sort=name&dir=asc"/)
  })
})

describe('filters and order in the address', () => {
  it('keeps the search and the order through paging and sorting links', async () => {
    const org = await signedInOrg()
    await issue(
      org,
      Array.from({ length: 51 }, (_, index) => `Pager ${String(index).padStart(2, '0')}`),
    )
    await issue(org, ['Someone Else'])
    const first = await org.staff.get(`/orgs/${org.orgId}/credentials?search=Pager&sort=recipient&dir=desc`)
    assert.match(textOf(first.body), /51 credentials/)
    assert.equal(namesOnPage(first.body)[0], 'Pager 50')
    const [next] = hrefs(first.body, /Next/)
    assert.ok(next, 'a link to the next page')
    const nextUrl = new URL(next, 'http://laurel.test')
    assert.deepEqual(Object.fromEntries(nextUrl.searchParams), { search: 'Pager', sort: 'recipient', dir: 'desc', page: '2' })
    const second = await org.staff.get(next)
    assert.deepEqual(namesOnPage(second.body), ['Pager 00'])
    assert.match(second.body, /<input type="search" name="search"[^>]*value="Pager"/)
    assert.match(second.body, /<input type="hidden" name="sort" value="recipient"/)
    const [sortByIssued] = hrefs(first.body, /Issued/)
    assert.deepEqual(Object.fromEntries(new URL(sortByIssued ?? '', 'http://laurel.test').searchParams), { search: 'Pager', sort: 'issued', dir: 'desc' })
  })
})

describe('bulk actions on ticked credentials', () => {
  const revokedIn = async (ids: string[]) =>
    testApp.platform.db
      .select({ id: credentials.id, reason: credentials.revocationReason })
      .from(credentials)
      .where(inArray(credentials.id, ids))
      .then((rows) => rows.filter((row) => row.reason !== null))

  it('revokes after a confirmation naming the count, skips those already revoked, audits each, and says how many', async () => {
    const org = await signedInOrg()
    const ids = await issue(org, ['Ann One', 'Ben Two', 'Cat Three', 'Dan Four'])
    const [ann, ben, cat, dan] = ids as [string, string, string, string]
    await revokeCredential(testApp.platform, org.scope, cat, 'Issued by mistake')
    const list = await org.staff.get(`/orgs/${org.orgId}/credentials?search=e`)
    assert.match(list.body, /<input type="checkbox" name="credentialId" value="cred_/)
    const confirmation = await org.staff.submit(`/orgs/${org.orgId}/credentials/selected`, {
      action: 'revoke',
      credentialId: [ann, ben, cat],
      back: 'search=e',
    })
    assert.equal(confirmation.statusCode, 200)
    assert.match(textOf(confirmation.body), /Revoke 2 credentials\?/)
    assert.match(textOf(confirmation.body), /1 of them is already revoked/)
    assert.deepEqual(await revokedIn([ann, ben]), [], 'nothing is revoked before the confirmation')

    const noReason = await org.staff.submit(`/orgs/${org.orgId}/credentials/selected/revoke`, { credentialId: [ann, ben, cat], reason: '', back: 'search=e' })
    assert.equal(noReason.statusCode, 422)
    assert.match(textOf(noReason.body), /Give a reason/)
    assert.deepEqual(await revokedIn([ann, ben]), [])

    const done = await org.staff.submit(`/orgs/${org.orgId}/credentials/selected/revoke`, {
      credentialId: [ann, ben, cat],
      reason: 'Exam results withdrawn',
      back: 'search=e',
    })
    assert.equal(done.statusCode, 302)
    assert.equal(done.headers.location, `/orgs/${org.orgId}/credentials?search=e`)
    assert.match(textOf((await org.staff.get(done.headers.location)).body), /2 revoked, 1 already revoked/)
    const reasons = Object.fromEntries((await revokedIn(ids)).map((row) => [row.id, row.reason]))
    assert.deepEqual(reasons, { [ann]: 'Exam results withdrawn', [ben]: 'Exam results withdrawn', [cat]: 'Issued by mistake' })
    assert.equal(reasons[dan], undefined)
    const audited = await testApp.platform.db
      .select({ target: auditEntries.target })
      .from(auditEntries)
      .where(and(eq(auditEntries.orgId, org.orgId), eq(auditEntries.action, 'credentials.revoked')))
    assert.deepEqual(audited.map((row) => row.target).sort(), [ann, ben, cat].sort())
    const verified = await testApp.app.inject({ method: 'POST', url: '/api/v1/verify', payload: { id: ben } })
    assert.equal(verified.json().verdict, 'revoked')
  })

  it('refuses a selection holding another org’s credential, for every action, and changes nothing', async () => {
    const org = await signedInOrg()
    const other = await signedInOrg()
    const [mine] = await issue(org, ['Mine'])
    const [theirs] = await issue(other, ['Theirs'])
    assert.ok(mine && theirs)
    const before = await getDelivery(testApp.platform.db, org.scope, mine)
    for (const action of ['revoke', 'resend', 'export']) {
      const response = await org.staff.submit(`/orgs/${org.orgId}/credentials/selected`, { action, credentialId: [mine, theirs] })
      assert.equal(response.statusCode, 404, action)
    }
    const forced = await org.staff.submit(`/orgs/${org.orgId}/credentials/selected/revoke`, { credentialId: [mine, theirs], reason: 'Cross-org attempt' })
    assert.equal(forced.statusCode, 404)
    assert.deepEqual(await revokedIn([mine, theirs]), [])
    assert.deepEqual(await getDelivery(testApp.platform.db, org.scope, mine), before)
  })

  it('refuses a bulk form without its CSRF token', async () => {
    const org = await signedInOrg()
    const [id] = await issue(org, ['Unprotected'])
    const response = await org.staff.request({
      method: 'POST',
      url: `/orgs/${org.orgId}/credentials/selected/revoke`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ credentialId: id ?? '', reason: 'No token sent' }).toString(),
    })
    assert.equal(response.statusCode, 403)
    assert.deepEqual(await revokedIn([id ?? '']), [])
  })

  it('sends nothing and says so when no credential is ticked', async () => {
    const org = await signedInOrg()
    const response = await org.staff.submit(`/orgs/${org.orgId}/credentials/selected`, { action: 'resend', back: 'status=valid' })
    assert.equal(response.statusCode, 302)
    assert.equal(response.headers.location, `/orgs/${org.orgId}/credentials?status=valid`)
    assert.match(textOf((await org.staff.get(response.headers.location)).body), /Tick at least one credential/)
  })

  it('resends the emails of the ticked credentials, and counts the ones it cannot send', async () => {
    const org = await signedInOrg()
    const [first, second, revoked] = (await issue(org, ['Resend One', 'Resend Two', 'Resend Revoked'])) as [string, string, string]
    await revokeCredential(testApp.platform, org.scope, revoked, 'Withdrawn')
    const response = await org.staff.submit(`/orgs/${org.orgId}/credentials/selected`, { action: 'resend', credentialId: [first, second, revoked] })
    assert.equal(response.statusCode, 302)
    assert.match(textOf((await org.staff.get(response.headers.location ?? '')).body), /2 emails resent; not sent: 1 revoked\./)
    for (const id of [first, second]) assert.equal((await getDelivery(testApp.platform.db, org.scope, id))?.resends, 1)
    assert.equal((await getDelivery(testApp.platform.db, org.scope, revoked))?.resends, 0)
    const audited = await testApp.platform.db
      .select({ target: auditEntries.target })
      .from(auditEntries)
      .where(and(eq(auditEntries.orgId, org.orgId), eq(auditEntries.action, 'credentials.delivery_resent')))
    assert.deepEqual(audited.map((row) => row.target).sort(), [first, second].sort())
  })

  it('exports the ticked credentials, and only those, as CSV', async () => {
    const org = await signedInOrg()
    const [first, , third] = (await issue(org, ['Export One', 'Export Two', 'Export Three'])) as [string, string, string]
    const response = await org.staff.submit(`/orgs/${org.orgId}/credentials/selected`, { action: 'export', credentialId: [first, third] })
    assert.equal(response.statusCode, 200)
    assert.match(String(response.headers['content-type']), /text\/csv/)
    const lines = response.body.trim().split(/\r?\n/)
    assert.equal(lines[0]?.replace(/^\uFEFF/, '').split(',')[0], 'id')
    assert.deepEqual(
      lines
        .slice(1)
        .map((line) => line.split(',')[0])
        .sort(),
      [first, third].sort(),
    )
    assert.match(response.body, /Export Three/)
    assert.doesNotMatch(response.body, /Export Two/)
  })
})
