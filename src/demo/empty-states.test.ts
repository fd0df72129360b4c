import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { newOrg, type PersonFixture } from '../../test/support/factories.ts'
import { startTestApp, type TestApp, type TestClient } from '../../test/support/harness.ts'
import { findAccountByEmail } from '../features/identity/service.ts'
import { listOrgsForAccount } from '../features/orgs/service.ts'
import { createDemoData, DEMO_ADMIN } from './index.ts'

let testApp: TestApp
let emptyOrgId: string
let emptyOwner: PersonFixture

before(async () => {
  testApp = await startTestApp()
  testApp.secrets.add(DEMO_ADMIN.password)
  const created = await newOrg(testApp, 'Empty Board')
  emptyOrgId = created.org.id
  emptyOwner = created.owner
})

after(() => testApp.close())

/**
 * The org pages the navigation offers, read from the navigation as rendered on the org's home page
 * (the one place they are listed), so a page added to the navigation is crawled too.
 */
async function navigationPages(client: TestClient, orgId: string): Promise<string[]> {
  const home = await client.get(`/orgs/${orgId}`)
  assert.equal(home.statusCode, 200)
  const navs = home.body.match(/<nav\b[\s\S]*?<\/nav>/g) ?? []
  const hrefs = navs.flatMap((nav) => [...nav.matchAll(/href="([^"?#]+)"/g)].map((match) => match[1] ?? ''))
  const pages = [...new Set(hrefs.filter((href) => href === `/orgs/${orgId}` || href.startsWith(`/orgs/${orgId}/`)))]
  assert.ok(pages.length >= 10, `only ${pages.length} org pages in the navigation`)
  return pages
}

/** The inner HTML of each empty state on a page. */
function emptyStatesOf(html: string): string[] {
  return [...html.matchAll(/<div class="empty-state">([\s\S]*?)<\/div>/g)].map((match) => match[1] ?? '')
}

const hasNextStep = (emptyState: string) => /<a\s[^>]*href="[^"]+"|<button\b/.test(emptyState)

describe('empty states', () => {
  it('on an empty org, every navigation page and the new exam session form offer a next step in each empty state', async () => {
    const client = testApp.client()
    await client.signIn(emptyOwner.email, emptyOwner.password)
    const pages = [...(await navigationPages(client, emptyOrgId)), `/orgs/${emptyOrgId}/exam-sessions/new`, `/orgs/${emptyOrgId}/exam-sessions/calendar`]
    const withEmptyState: string[] = []
    for (const page of pages) {
      const response = await client.get(page)
      assert.equal(response.statusCode, 200, `${page} answered ${response.statusCode}`)
      const emptyStates = emptyStatesOf(response.body)
      if (emptyStates.length > 0) withEmptyState.push(page)
      for (const emptyState of emptyStates) assert.ok(hasNextStep(emptyState), `${page} has an empty state without a next step: ${emptyState.trim()}`)
    }
    for (const list of ['achievements', 'credentials', 'analytics', 'exam-sessions', 'exam-sessions/new', 'exams', 'test-centres', 'proctors']) {
      assert.ok(withEmptyState.includes(`/orgs/${emptyOrgId}/${list}`), `/${list} shows no empty state on an empty org`)
    }
  })

  it('the new exam session form without exams or rooms says so and links to creating them', async () => {
    const client = testApp.client()
    await client.signIn(emptyOwner.email, emptyOwner.password)
    const form = await client.get(`/orgs/${emptyOrgId}/exam-sessions/new`)
    const [emptyState = ''] = emptyStatesOf(form.body)
    assert.match(emptyState, new RegExp(`href="/orgs/${emptyOrgId}/exams/new"`))
    assert.match(emptyState, new RegExp(`href="/orgs/${emptyOrgId}/test-centres/new"`))
  })

  it('on the demo org, the main list pages are not empty', async () => {
    await createDemoData(testApp.platform)
    const client = testApp.client()
    await client.signIn(DEMO_ADMIN.email, DEMO_ADMIN.password)
    const admin = await findAccountByEmail(testApp.platform.db, DEMO_ADMIN.email)
    const [demoOrg] = admin ? await listOrgsForAccount(testApp.platform, admin.id) : []
    assert.ok(demoOrg)
    const demoOrgId = demoOrg.id
    for (const list of ['achievements', 'credentials', 'analytics', 'exam-sessions', 'exams', 'test-centres', 'proctors', 'members']) {
      const page = await client.get(`/orgs/${demoOrgId}/${list}`)
      assert.equal(page.statusCode, 200)
      assert.deepEqual(emptyStatesOf(page.body), [], `/${list} shows an empty state on the demo org`)
      assert.ok((page.body.match(/<tr\b/g)?.length ?? 0) >= 3, `/${list} lists fewer than two rows on the demo org`)
    }
  })
})
