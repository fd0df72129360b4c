import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { createAccount } from '../../src/features/identity/service.ts'
import { newOrg, strongPassword, uniqueEmail } from '../support/factories.ts'
import type { TestApp } from '../support/harness.ts'
import { BrowserProblems, closeBrowserApp, Outbox, openBrowserApp, openPersonPage, Screenshots, signIn } from './browser.ts'
import { badgePng } from './png.ts'

let testApp: TestApp
let browser: Browser
let baseURL: string

const ACHIEVEMENT = 'Certified Lighthouse Keeper'
const RECIPIENT = 'Ніна Шевченко'

before(async () => {
  ;({ testApp, browser, baseURL } = await openBrowserApp())
})
after(() => closeBrowserApp({ testApp, browser }))

/** The "Page viewed" line of the analytics chart, as drawn (its SVG points). */
async function pageViewsLine(page: Page): Promise<string> {
  const names = (await page.locator('#events-chart .chart-legend li').allTextContents()).map((name) => name.trim())
  const points = await page.locator('#events-chart polyline').nth(names.indexOf('Page viewed')).getAttribute('points')
  assert.ok(points, 'the chart draws a page-view line')
  return points
}

async function pageViewsTotal(page: Page): Promise<number> {
  return Number(await page.locator('[data-kind="page_viewed"] strong').textContent())
}

/** Opens the org's analytics until `isReady` holds: events are written in batches, a moment after they happen. */
async function openAnalytics(page: Page, orgId: string, isReady: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    await page.goto(`/orgs/${orgId}/analytics`)
    if (await isReady()) return
    await page.waitForTimeout(250)
  }
  assert.fail('The analytics never showed the expected events')
}

describe('certificates, delivery and analytics in Chromium', () => {
  it('designs a PDF, issues, reads the email in the outbox, opens the link, claims the credential through a second address, and sees the analytics chart move', async () => {
    const problems = new BrowserProblems()
    const screenshots = new Screenshots(40)

    const admin = { name: 'Platform Admin', email: uniqueEmail('admin'), password: strongPassword() }
    testApp.secrets.add(admin.password)
    await createAccount(testApp.platform, { ...admin, isEmailVerified: true, isPlatformAdmin: true })
    const adminSession = await openPersonPage(browser, baseURL, problems)
    await signIn(adminSession.page, admin.email, admin.password)
    const outbox = new Outbox(adminSession.page, testApp, screenshots)

    const { org, owner } = await newOrg(testApp, 'Northwind Maritime Academy')
    const { page: staffPage } = await openPersonPage(browser, baseURL, problems)
    await signIn(staffPage, owner.email, owner.password)

    // An achievement with a badge, then its certificate design.
    await staffPage.goto(`/orgs/${org.id}/achievements/new`)
    await staffPage.getByLabel('Name', { exact: true }).fill(ACHIEVEMENT)
    await staffPage.getByLabel('Description').fill('Keeps the light burning through every storm.')
    await staffPage.getByLabel('Criteria (Markdown)').fill('- Passed the **night watch** exam')
    await staffPage.getByLabel(/^Badge image/).setInputFiles({ name: 'badge.png', mimeType: 'image/png', buffer: badgePng(128) })
    await staffPage.getByRole('button', { name: 'Create achievement' }).click()
    await staffPage.getByRole('heading', { level: 1, name: ACHIEVEMENT }).waitFor()
    await staffPage.getByRole('link', { name: 'Certificate design (PDF)' }).click()
    await staffPage.getByRole('heading', { level: 1, name: `Certificate design: ${ACHIEVEMENT}` }).waitFor()
    await staffPage.getByLabel('Layout').selectOption('modern')
    await staffPage.getByLabel("Signer's name").fill('Grace Harbour')
    await staffPage.getByLabel("Signer's title").fill('Head Keeper')
    await staffPage.getByRole('button', { name: 'Update preview' }).click()
    await screenshots.take(staffPage, 'certificate-design')
    await staffPage.getByRole('button', { name: 'Save design' }).click()
    await staffPage.getByRole('status').filter({ hasText: 'Design saved' }).waitFor()

    // Issue it to an address the recipient has not added to their account yet.
    const recipient = { name: RECIPIENT, email: uniqueEmail('nina'), password: strongPassword() }
    testApp.secrets.add(recipient.password)
    const secondAddress = uniqueEmail('nina.work')
    await createAccount(testApp.platform, { ...recipient, isEmailVerified: true })
    await staffPage.goto(`/orgs/${org.id}/credentials/issue`)
    await staffPage.getByLabel('Achievement').selectOption({ label: ACHIEVEMENT })
    await staffPage.getByLabel("Recipient's full name").fill(RECIPIENT)
    await staffPage.getByLabel("Recipient's email").fill(secondAddress)
    await staffPage.getByRole('button', { name: 'Sign and issue' }).click()
    await staffPage.getByRole('heading', { level: 1, name: RECIPIENT }).waitFor()
    const credentialPath = new URL(staffPage.url()).pathname.replace(`/orgs/${org.id}`, '')

    // The analytics before anyone looked at it: the email waits in the outbox (no SMTP here), which is not a delivery.
    await staffPage.goto(`/orgs/${org.id}/analytics`)
    await staffPage.getByText('Nothing counted in the last 30 days.').waitFor()
    assert.equal(await staffPage.locator('#events-chart').count(), 0, 'no chart without events')
    await screenshots.take(staffPage, 'analytics-before')

    // The email is in the outbox; its link opens the public page, which offers the PDF.
    const emailLink = await outbox.linkTo(secondAddress, '/credentials/', 'credential-email')
    assert.match(emailLink, /\?via=email$/)
    const { page: recipientPage } = await openPersonPage(browser, baseURL, problems)
    await recipientPage.goto(emailLink)
    await recipientPage.getByRole('heading', { level: 1, name: RECIPIENT }).waitFor()
    await recipientPage.getByText('This credential is valid.').waitFor()
    const pdf = await recipientPage.request.get(`${credentialPath}.pdf`)
    assert.equal(pdf.headers()['content-type'], 'application/pdf')
    assert.equal((await pdf.body()).subarray(0, 5).toString(), '%PDF-')
    await screenshots.take(recipientPage, 'credential-from-email')

    // A third party looks at it too.
    const { page: verifierPage } = await openPersonPage(browser, baseURL, problems)
    await verifierPage.goto(credentialPath)
    await verifierPage.getByText('This credential is valid.').waitFor()

    // The recipient signs in, adds the address the credential was sent to, confirms it, and finds the credential.
    await signIn(recipientPage, recipient.email, recipient.password)
    await recipientPage.goto('/me/credentials')
    await recipientPage.getByRole('heading', { level: 1, name: 'My credentials' }).waitFor()
    assert.equal(await recipientPage.getByRole('link', { name: ACHIEVEMENT }).count(), 0, 'not claimed yet')
    await recipientPage.goto('/account/emails')
    await recipientPage.getByLabel('Email', { exact: true }).fill(secondAddress)
    await recipientPage.getByRole('button', { name: 'Send confirmation link' }).click()
    await recipientPage
      .getByRole('status')
      .filter({ hasText: `We sent a link to ${secondAddress}` })
      .waitFor()
    await screenshots.take(recipientPage, 'add-email-address')
    await recipientPage.goto(await outbox.linkTo(secondAddress, '/account/emails/verify', 'email-confirmation'))
    await recipientPage
      .getByRole('status')
      .filter({ hasText: `${secondAddress} is confirmed` })
      .waitFor()
    await recipientPage.goto('/me/credentials')
    await recipientPage.getByText(ACHIEVEMENT).first().waitFor()
    await screenshots.take(recipientPage, 'my-credentials')

    // The chart appears: the views are counted (the holder's own are not verifications, but views of the page).
    await openAnalytics(staffPage, org.id, async () => (await staffPage.locator('#events-chart').count()) === 1 && (await pageViewsTotal(staffPage)) > 0)
    const heights = new Set(
      (await pageViewsLine(staffPage))
        .trim()
        .split(/\s+/)
        .map((point) => point.split(',')[1]),
    )
    assert.ok(heights.size > 1, 'the page-view line rises off zero')
    await screenshots.take(staffPage, 'analytics-after')

    problems.assertNone()
  })
})
