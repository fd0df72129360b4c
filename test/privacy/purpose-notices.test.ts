/**
 * Every form that collects personal data says, at the form, what the data is for and links to the
 * privacy policy ("before or at the time of collecting"). The list names each such form's page.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startTestApp, type TestApp } from '../support/harness.ts'
import { seedOrgWithOneOfEverything } from '../support/seed.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

const NOTICE = /<p class="purpose-notice"><small><span>[^<]{20,}<\/span> <a href="\/privacy">/

describe('purpose notices', () => {
  it('are shown at every form that collects personal data', async () => {
    const { owner, ids } = await seedOrgWithOneOfEverything(testApp, 'Notices')
    const org = `/orgs/${ids.orgId}`
    const signedOutForms = ['/sign-up']
    const signedInForms = [
      '/account',
      '/account/emails',
      `${org}/members`,
      `${org}/credentials/issue`,
      `${org}/credentials/bulk`,
      `${org}/exam-sessions/import`,
      `${org}/exam-sessions/${ids.examSessionId}`,
      `${org}/exam-registrations/import`,
      `${org}/proctors/new`,
      `/exam-sessions/open/${ids.orgId}`,
    ]
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const missing: string[] = []
    for (const [url, page] of [
      ...(await Promise.all(signedOutForms.map(async (url) => [url, await testApp.client().get(url)] as const))),
      ...(await Promise.all(signedInForms.map(async (url) => [url, await client.get(url)] as const))),
    ]) {
      assert.equal(page.statusCode, 200, url)
      if (!NOTICE.test(page.body)) missing.push(url)
    }
    assert.deepEqual(missing, [], 'these forms collect personal data without saying what for')
  })

  it('a page without such a form has none', async () => {
    assert.doesNotMatch((await testApp.client().get('/sign-in')).body, NOTICE)
  })
})
