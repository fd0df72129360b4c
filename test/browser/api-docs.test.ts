import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import type { TestApp } from '../support/harness.ts'
import { BrowserProblems, closeBrowserApp, openBrowserApp, openPersonPage } from './browser.ts'

let testApp: TestApp
let browser: Browser
let baseURL: string

before(async () => {
  ;({ testApp, browser, baseURL } = await openBrowserApp())
})
after(() => closeBrowserApp({ testApp, browser }))

describe('API docs in Chromium', () => {
  it('renders the operations under the Content-Security-Policy, without a violation', async () => {
    const problems = new BrowserProblems()
    const { page } = await openPersonPage(browser, baseURL, problems)
    await page.goto('/api/docs')
    await page.locator('.opblock-summary-path', { hasText: '/api/v1/orgs/{orgId}/members' }).first().waitFor()
    problems.assertNone()
  })
})
