import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import AxeBuilder from '@axe-core/playwright'
import type { Browser, Page } from 'playwright-core'
import { createOrg } from '../../src/features/orgs/service.ts'
import { newPerson } from '../support/factories.ts'
import type { TestApp } from '../support/harness.ts'
import { seedOrgWithOneOfEverything } from '../support/seed.ts'
import { BrowserProblems, closeBrowserApp, openBrowserApp, signIn } from './browser.ts'

let testApp: TestApp
let browser: Browser
let baseURL: string

before(async () => {
  ;({ testApp, browser, baseURL } = await openBrowserApp())
})
after(() => closeBrowserApp({ testApp, browser }))

const SCREENSHOT_DIR = new URL('../../test-artifacts/screenshots/', import.meta.url).pathname

/** The widths every staff page must fit; the tablet width is scanned in dark mode, so both colour schemes meet axe's contrast rules. */
const WIDTHS = [
  { width: 1280, colorScheme: 'light' },
  { width: 768, colorScheme: 'dark' },
  { width: 390, colorScheme: 'light' },
] as const

/** The elements that stick out of the window while their parent does not (outside any scrolling box), for the failure message. */
const WIDENERS = `[...document.querySelectorAll('body *')]
  .filter((element) => {
    const sticksOut = (node) => node.getBoundingClientRect().right > window.innerWidth + 0.5
    if (!sticksOut(element) || (element.parentElement && sticksOut(element.parentElement))) return false
    for (let ancestor = element.parentElement; ancestor; ancestor = ancestor.parentElement) if (getComputedStyle(ancestor).overflowX !== 'visible') return false
    return true
  })
  .map((element) => element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') + [...element.classList].map((name) => '.' + name).join(''))
  .join(', ')`

/** What one visit found wrong: the page scrolls sideways, hides the user menu, or has serious axe violations. */
async function problemsOf(page: Page, path: string): Promise<string[]> {
  const response = await page.goto(path)
  const problems: string[] = []
  if (!response?.ok()) problems.push(`status ${response?.status()}`)
  const { scrollWidth, innerWidth } = await page.evaluate<{ scrollWidth: number; innerWidth: number }>(
    '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
  )
  if (scrollWidth > innerWidth) problems.push(`the page is ${scrollWidth}px wide in a ${innerWidth}px window, pushed by ${await page.evaluate(WIDENERS)}`)
  const userMenu = page.locator('.user-menu > summary')
  const box = (await userMenu.isVisible()) ? await userMenu.boundingBox() : null
  if (!box || box.x < 0 || box.x + box.width > innerWidth) problems.push('the user menu is not in view')
  const { violations } = await new AxeBuilder({ page }).analyze()
  for (const violation of violations.filter((found) => found.impact === 'serious' || found.impact === 'critical')) {
    const where = violation.nodes
      .slice(0, 3)
      .map((node) => node.target.join(' '))
      .join(' | ')
    problems.push(`axe ${violation.impact} ${violation.id} (${violation.nodes.length}): ${where}`)
  }
  return problems
}

describe('the app shell in Chromium', () => {
  it('fits every staff page at 1280, 768 and 390 px with the user menu in view and no serious axe violations', async () => {
    const { owner, ids } = await seedOrgWithOneOfEverything(testApp, 'Shell')
    const base = `/orgs/${ids.orgId}`
    const browserProblems = new BrowserProblems()
    const found: string[] = []
    await mkdir(SCREENSHOT_DIR, { recursive: true })

    for (const { width, colorScheme } of WIDTHS) {
      const context = await browser.newContext({ baseURL, viewport: { width, height: 900 }, colorScheme })
      const page = browserProblems.watch(await context.newPage())
      await signIn(page, owner.email, owner.password)
      await page.goto(base)
      const nav = page.getByRole('navigation', { name: 'Organisation' })
      if (width < 1024) {
        // Narrow screens fold the side navigation behind a Menu button that opens from the keyboard.
        assert.equal(await nav.isVisible(), false, `at ${width}px the side navigation starts folded`)
        await page.locator('.side-nav > summary').focus()
        await page.keyboard.press('Enter')
      }
      await nav.getByRole('link', { name: 'Dashboard' }).waitFor()
      assert.equal(await nav.getByRole('link', { name: 'Dashboard' }).getAttribute('aria-current'), 'page')
      // Every nav item (open every group first), then the detail and form pages reached from them.
      for (const group of await nav.locator('details:not([open]) > summary').all()) await group.click()
      const navPages = await nav
        .getByRole('link')
        .evaluateAll((links) => links.map((link) => ({ name: link.textContent ?? '', path: new URL((link as unknown as { href: string }).href).pathname })))
      assert.ok(navPages.length >= 14, `the owner sees every nav item: ${navPages.map((navPage) => navPage.name).join(', ')}`)
      const pages = [
        ...navPages,
        { name: 'New achievement', path: `${base}/achievements/new` },
        { name: 'Achievement', path: `${base}/achievements/${ids.achievementId}` },
        { name: 'Credential', path: `${base}/credentials/${ids.credentialId}` },
        { name: 'New exam session', path: `${base}/exam-sessions/new` },
        { name: 'Exam session', path: `${base}/exam-sessions/${ids.examSessionId}` },
        { name: 'Privacy request', path: `${base}/privacy/requests/${ids.requestId}` },
      ]
      for (const { name, path } of pages) {
        for (const problem of await problemsOf(page, path)) found.push(`${width}px ${name}: ${problem}`)
        await page.screenshot({ path: `${SCREENSHOT_DIR}${width}-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.png`, fullPage: true })
      }
      await context.close()
    }
    assert.deepEqual(found, [], 'Every staff page fits, shows the user menu and passes axe')
    browserProblems.assertNone()
  })

  it('marks the current page in the side navigation and opens only its group', async () => {
    const { owner, ids } = await seedOrgWithOneOfEverything(testApp, 'Current')
    const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    await signIn(page, owner.email, owner.password)
    await page.goto(`/orgs/${ids.orgId}/exam-sessions/calendar`)
    const nav = page.getByRole('navigation', { name: 'Organisation' })
    assert.equal(await nav.getByRole('link', { name: 'Calendar' }).getAttribute('aria-current'), 'page')
    assert.equal(await nav.getByRole('link', { name: 'Exam sessions' }).getAttribute('aria-current'), null)
    assert.deepEqual(await nav.locator('details[open] > summary').allTextContents(), ['Exams'])
    // Keyboard focus on a nav link is visible: an outline is drawn.
    await nav.getByRole('link', { name: 'Exams', exact: true }).focus()
    await page.keyboard.press('Shift+Tab')
    await page.keyboard.press('Tab')
    const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle')
    assert.equal(outline, 'solid')
    await context.close()
  })
  it('keeps long org and account names in the top bar at 360 px, with the menus in view', async () => {
    const person = await newPerson(testApp, { name: 'Maximiliana Wolfeschlegelsteinhausenberger-Ødegård' })
    const org = await createOrg(testApp.platform, person.account.id, { name: 'International Federation of Refrigeration and Cold-Chain Logistics Assessors' })
    const context = await browser.newContext({ baseURL, viewport: { width: 360, height: 800 } })
    const page = await context.newPage()
    await signIn(page, person.email, person.password)
    await page.goto(`/orgs/${org.id}`)
    const { scrollWidth, innerWidth } = await page.evaluate<{ scrollWidth: number; innerWidth: number }>(
      '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
    )
    assert.ok(scrollWidth <= innerWidth, `the page is ${scrollWidth}px wide in a ${innerWidth}px window`)
    for (const menu of ['.org-switcher > summary', '.user-menu > summary']) {
      const box = await page.locator(menu).boundingBox()
      assert.ok(box && box.x >= 0 && box.x + box.width <= innerWidth, `${menu} is in view: ${JSON.stringify(box)}`)
    }
    // An open menu is as wide as its entries, inside the window.
    await page.locator('.user-menu > summary').click()
    await page.getByRole('button', { name: 'Sign out' }).waitFor()
    const summary = await page.locator('.user-menu > summary').boundingBox()
    const list = await page.locator('.user-menu > ul').boundingBox()
    assert.ok(summary && list && list.x >= 0 && list.x + list.width <= innerWidth && list.width > summary.width, `the user menu fits: ${JSON.stringify(list)}`)
    await page.screenshot({ path: `${SCREENSHOT_DIR}360-long-names.png` })
    await context.close()
  })
})
