import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { type StartOptions, startTestApp, type TestApp } from '../support/harness.ts'

/** Debian's Chromium; the suite never downloads a browser. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Makes the test app listen on a free local port and returns its base URL. */
export async function listen(testApp: TestApp): Promise<string> {
  await testApp.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = testApp.app.server.address() as AddressInfo
  return `http://127.0.0.1:${port}`
}

export interface BrowserApp {
  testApp: TestApp
  browser: Browser
  baseURL: string
}

/** A test app listening on a free local port, and Chromium to open it with. */
export async function openBrowserApp(options: StartOptions = {}): Promise<BrowserApp> {
  const testApp = await startTestApp(options)
  return { testApp, baseURL: await listen(testApp), browser: await launchChromium() }
}

/** Closes what openBrowserApp opened, as far as it got. */
export async function closeBrowserApp(opened: Partial<BrowserApp>): Promise<void> {
  await opened.browser?.close()
  await opened.testApp?.close()
}

/**
 * Problems the browser reported: Content-Security-Policy violations logged to the console and
 * uncaught script errors. A test asserts the list is empty at its end.
 */
export class BrowserProblems {
  readonly found: string[] = []

  watch(page: Page): Page {
    page.on('console', (message) => {
      if (message.type() === 'error' && message.text().includes('Content Security Policy')) this.found.push(`CSP violation on ${page.url()}: ${message.text()}`)
    })
    page.on('pageerror', (error) => this.found.push(`Script error on ${page.url()}: ${error.message}`))
    return page
  }

  assertNone(): void {
    assert.deepEqual(this.found, [], 'The browser reported problems')
  }
}

/** A browser context for one person, with a watched page, addressing the app by relative URLs. */
export async function openPersonPage(browser: Browser, baseURL: string, problems: BrowserProblems): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL })
  return { context, page: problems.watch(await context.newPage()) }
}

const SCREENSHOT_DIR = new URL('../../test-results/', import.meta.url).pathname
const STACK_FRAME = /^\s*at .+:\d+:\d+\)?\s*$/m

/**
 * Numbered full-page screenshots (`test-results/01-sign-up.png`, ...), each taken after checking the page shows no stack trace.
 * `first` is the number of the first one, so suites can keep apart (onboarding from 01, credentials from 20).
 */
export class Screenshots {
  private count: number

  constructor(first = 1) {
    this.count = first - 1
  }

  async take(page: Page, step: string): Promise<void> {
    const text = (await page.locator('body').textContent()) ?? ''
    assert.doesNotMatch(text, STACK_FRAME, `The page at ${page.url()} shows a stack trace`)
    assert.doesNotMatch(text, /Something went wrong/, `The page at ${page.url()} shows a server error`)
    await mkdir(SCREENSHOT_DIR, { recursive: true })
    this.count += 1
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${String(this.count).padStart(2, '0')}-${step}.png`), fullPage: true })
  }
}

/**
 * Reads mail through the platform admin's outbox page, in the admin's own browser context.
 * Links in emails point to PUBLIC_URL (http://laurel.test); `linkTo` returns their path and query,
 * to be opened on the listening app.
 */
export class Outbox {
  constructor(
    private readonly page: Page,
    private readonly testApp: TestApp,
    private readonly screenshots: Screenshots,
  ) {}

  /** The newest link to `pathPrefix` in the mail to `to`. */
  async linkTo(to: string, pathPrefix: string, step: string): Promise<string> {
    await this.page.goto(`/admin/outbox?to=${encodeURIComponent(to)}`)
    const link = this.page.locator('a.mail-link').filter({ hasText: pathPrefix }).first()
    const href = await link.getAttribute('href')
    assert.ok(href, `No email to ${to} with a link to ${pathPrefix}`)
    await this.screenshots.take(this.page, step)
    const url = new URL(href)
    const token = url.searchParams.get('token')
    if (token) this.testApp.secrets.add(token)
    return `${url.pathname}${url.search}`
  }
}

/** Signs in through the sign-in form and waits to leave it. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  if (!page.url().endsWith('/sign-in')) await page.goto('/sign-in')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('main').getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((url) => url.pathname !== '/sign-in')
}
