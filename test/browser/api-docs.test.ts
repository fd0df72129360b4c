import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { startTestApp, type TestApp } from '../support/harness.ts'
import { BrowserProblems, launchChromium, listen, openPersonPage } from './browser.ts'

let testApp: TestApp
let browser: Browser
let baseURL: string

before(async () => {
  testApp = await startTestApp()
  baseURL = await listen(testApp)
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  await testApp?.close()
})

describe('API docs in Chromium', () => {
  it('renders the operations under the Content-Security-Policy, without a violation', async () => {
    const problems = new BrowserProblems()
    const { page } = await openPersonPage(browser, baseURL, problems)
    await page.goto('/api/docs')
    await page.locator('.opblock-summary-path', { hasText: '/api/v1/orgs/{orgId}/members' }).first().waitFor()
    problems.assertNone()
  })
})
