import assert from 'node:assert/strict'
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { newOrg } from '../support/factories.ts'
import type { TestApp } from '../support/harness.ts'
import { BrowserProblems, closeBrowserApp, openBrowserApp, openPersonPage, Screenshots, signIn } from './browser.ts'
import { badgePng } from './png.ts'

let testApp: TestApp
let browser: Browser
let baseURL: string

const DOWNLOAD_DIR = new URL('../../test-results/downloads/', import.meta.url).pathname
const ACHIEVEMENT = 'Certified Cold-Chain Handler — Level 2'
const RECIPIENT = 'Zoë Ångström-Łukasiewicz'
const BULK_ROWS = 3000

// The bulk issuance runs as a job, so this app has a worker.
before(async () => {
  ;({ testApp, browser, baseURL } = await openBrowserApp({ worker: true }))
})
after(() => closeBrowserApp({ testApp, browser }))

/** Accepts every data-confirm dialog the page raises, and records its question. */
function acceptDialogs(page: Page): string[] {
  const questions: string[] = []
  page.on('dialog', (dialog) => {
    questions.push(dialog.message())
    void dialog.accept()
  })
  return questions
}

describe('credentials in Chromium', () => {
  it('creates an achievement, issues it, shows it valid, revokes it, shows it revoked, verifies the downloaded file, and bulk-issues with a moving progress bar', async (t) => {
    const problems = new BrowserProblems()
    const screenshots = new Screenshots(20)
    const { org, owner } = await newOrg(testApp, 'Northwind Cold-Chain Academy')

    const { page: adminPage } = await openPersonPage(browser, baseURL, problems)
    const questions = acceptDialogs(adminPage)
    await signIn(adminPage, owner.email, owner.password)

    // An achievement with a real 128×128 PNG badge.
    await adminPage.goto(`/orgs/${org.id}/achievements/new`)
    await adminPage.getByLabel('Name', { exact: true }).fill(ACHIEVEMENT)
    await adminPage.getByLabel('Description').fill('Handles temperature-controlled goods from dock to shelf without breaking the cold chain.')
    await adminPage.getByLabel('Criteria (Markdown)').fill('- Passed the **written exam**\n- Logged 40 supervised hours')
    await adminPage.getByLabel(/^Badge image/).setInputFiles({ name: 'badge.png', mimeType: 'image/png', buffer: badgePng(128) })
    await screenshots.take(adminPage, 'achievement-form')
    await adminPage.getByRole('button', { name: 'Create achievement' }).click()
    await adminPage.waitForURL(new RegExp(`/orgs/${org.id}/achievements/[^/]+$`))
    await adminPage.getByRole('heading', { level: 1, name: ACHIEVEMENT }).waitFor()
    await adminPage
      .getByRole('status')
      .filter({ hasText: `${ACHIEVEMENT} is ready to issue` })
      .waitFor()
    await assertImageLoaded(adminPage, `${ACHIEVEMENT} badge`, 128)
    await screenshots.take(adminPage, 'achievement-created')

    // Issue it to one person, with a name in three scripts' worth of diacritics.
    await adminPage.getByRole('button', { name: 'Issue this achievement' }).click()
    await adminPage.waitForURL(new RegExp(`/orgs/${org.id}/credentials/issue\\?achievementId=`))
    assert.equal(await adminPage.getByLabel('Achievement').locator('option:checked').textContent(), ACHIEVEMENT)
    await adminPage.getByLabel("Recipient's full name").fill(RECIPIENT)
    await adminPage.getByLabel("Recipient's email").fill('zoe.angstrom@example.org')
    await screenshots.take(adminPage, 'issue-form')
    await adminPage.getByRole('button', { name: 'Sign and issue' }).click()
    await adminPage.waitForURL(new RegExp(`/orgs/${org.id}/credentials/cred_[0-9a-z]{26}$`))
    await adminPage.getByRole('heading', { level: 1, name: RECIPIENT }).waitFor()
    await adminPage
      .getByRole('status')
      .filter({ hasText: `Issued to ${RECIPIENT}` })
      .waitFor()
    const adminCredentialUrl = adminPage.url()
    const credentialId = /cred_[0-9a-z]{26}/.exec(adminCredentialUrl)?.[0] ?? ''
    await screenshots.take(adminPage, 'credential-issued')

    // The public page, opened from the admin page.
    await adminPage.getByRole('link', { name: 'Public page' }).click()
    await adminPage.waitForURL(`/credentials/${credentialId}`)
    await adminPage.getByText('This credential is valid.').waitFor()
    await adminPage.getByRole('heading', { level: 1, name: RECIPIENT }).waitFor()
    await assertImageLoaded(adminPage, `${ACHIEVEMENT} badge`, 128)

    // Anyone, signed in or not, sees the same page and can download the signed credential.
    const { page: visitorPage } = await openPersonPage(browser, baseURL, problems)
    await visitorPage.goto(`/credentials/${credentialId}`)
    await visitorPage.getByText('This credential is valid.').waitFor()
    await screenshots.take(visitorPage, 'public-page-valid')
    const downloadEvent = visitorPage.waitForEvent('download')
    await visitorPage.getByRole('button', { name: 'Download the signed credential (JSON)' }).click()
    const download = await downloadEvent
    await rm(DOWNLOAD_DIR, { recursive: true, force: true })
    await mkdir(DOWNLOAD_DIR, { recursive: true })
    const downloadPath = join(DOWNLOAD_DIR, `${credentialId}.json`)
    await download.saveAs(downloadPath)
    const signed = JSON.parse(await readFile(downloadPath, 'utf8')) as { id?: string; proof?: unknown; credentialSubject?: unknown }
    assert.equal(signed.id, new URL(`/credentials/${credentialId}`, testApp.config.publicUrl).toString())
    assert.ok(signed.proof, 'The downloaded credential is signed')
    assert.ok(JSON.stringify(signed.credentialSubject).includes(RECIPIENT), 'The downloaded credential names the recipient, diacritics intact')

    // Revoke it from the admin page; the form asks first.
    await adminPage.goto(adminCredentialUrl)
    await adminPage.getByLabel('Reason').fill('Issued in error: the exam was retaken.')
    await screenshots.take(adminPage, 'revoke-form')
    await adminPage.getByRole('button', { name: 'Revoke' }).click()
    await adminPage.getByRole('status').filter({ hasText: 'Revoked.' }).waitFor()
    assert.deepEqual(questions, ['Revoke this credential? This cannot be undone.'])
    await adminPage.getByText('Issued in error: the exam was retaken.').waitFor()
    await screenshots.take(adminPage, 'credential-revoked')

    // The visitor reloads the public page.
    await visitorPage.reload()
    await visitorPage.getByText('This credential was revoked by its issuer.').waitFor()
    await visitorPage.getByText('Reason given: Issued in error: the exam was retaken.').waitFor()
    assert.equal(await visitorPage.getByText('This credential is valid.').count(), 0)
    await screenshots.take(visitorPage, 'public-page-revoked')

    // The file downloaded while it was valid now verifies as revoked, with every check listed.
    await visitorPage.goto('/verify')
    await visitorPage.getByLabel('Credential file (JSON)').setInputFiles(downloadPath)
    await visitorPage.getByRole('button', { name: 'Verify the file' }).click()
    const result = visitorPage.locator('article.verification')
    await result.waitFor()
    assert.equal(await result.getAttribute('data-verdict'), 'revoked')
    await result.getByText('Not valid: the issuer revoked this credential.').waitFor()
    const checks = Object.fromEntries(
      await result.locator('tr[data-check]').evaluateAll((rows) => rows.map((row) => [row.getAttribute('data-check'), row.getAttribute('data-ok')])),
    )
    assert.deepEqual(checks, { signature: 'true', issuer: 'true', status: 'false', validity: 'true', schema: 'true' })
    assert.match((await result.locator('tr[data-check="status"]').textContent()) ?? '', /revocation bit set/)
    await screenshots.take(visitorPage, 'verify-file-revoked')

    // Bulk issuance from a CSV file: 3,000 good rows and two bad ones.
    const csvLines = ['email,name,achievement']
    for (let index = 1; index <= BULK_ROWS; index++) csvLines.push(`graduate.${index}@example.org,"Graduate ${index}, Ørsted-Nguyễn",${ACHIEVEMENT}`)
    csvLines.push(`not-an-email,Bad Email,${ACHIEVEMENT}`)
    csvLines.push('someone@example.org,Unknown Achievement,No Such Achievement')
    await adminPage.goto(`/orgs/${org.id}/credentials/bulk`)
    await adminPage.getByLabel(/^CSV file/).setInputFiles({ name: 'graduates.csv', mimeType: 'text/csv', buffer: Buffer.from(`${csvLines.join('\n')}\n`) })
    await screenshots.take(adminPage, 'bulk-upload')
    await adminPage.getByRole('button', { name: 'Check the file' }).click()
    await adminPage.getByRole('heading', { level: 1, name: 'Preview of graduates.csv' }).waitFor()
    const main = adminPage.getByRole('main')
    await main.getByText(`${BULK_ROWS + 2} rows read`).waitFor()
    await main.getByText(`${BULK_ROWS} ready to issue`).waitFor()
    await main.getByText('2 with problems (not issued)').waitFor()
    assert.equal(await adminPage.locator('#bulk-problems tbody tr').count(), 2)
    await screenshots.take(adminPage, 'bulk-preview')

    await adminPage.getByRole('button', { name: `Issue ${BULK_ROWS} credentials` }).click()
    await adminPage.waitForURL(new RegExp(`/orgs/${org.id}/credentials/bulk/[^/]+$`))
    assert.equal(questions.at(-1), `Sign and issue ${BULK_ROWS} credentials?`)
    await adminPage.locator('.job-progress progress').waitFor()
    await screenshots.take(adminPage, 'bulk-progress-start')

    // Sample the bar as htmx refreshes it, until the job is finished.
    const samples = await sampleProgress(adminPage)
    const values = samples.map((sample) => sample.value)
    const states = [...new Set(samples.map((sample) => sample.state))]
    const before100 = [...new Set(values.filter((value) => value < 100))]
    t.diagnostic(`Progress samples: states ${states.join(' → ')}; values ${[...new Set(values)].join(', ')}`)
    assert.deepEqual(samples.at(-1), { state: 'completed', value: 100 }, `The job completed: ${JSON.stringify(samples.slice(-3))}`)
    for (let index = 1; index < values.length; index++)
      assert.ok((values[index] ?? 0) >= (values[index - 1] ?? 0), `The bar never goes back: ${values.join(', ')}`)
    // How far the job got before each sample depends on the machine, so the test asks for either
    // two values below 100 (the bar seen moving) or, on a fast machine, the state seen changing.
    assert.ok(
      before100.length >= 2 || states.some((state) => state === 'queued' || state === 'running'),
      `The bar was seen moving, or the job was seen before it completed: ${JSON.stringify(samples)}`,
    )
    await adminPage.getByText(`${BULK_ROWS} of ${BULK_ROWS} (100%)`).waitFor()
    await screenshots.take(adminPage, 'bulk-completed')

    await adminPage.getByRole('link', { name: 'All credentials' }).click()
    await adminPage.getByText(`${BULK_ROWS + 1} credentials`, { exact: true }).waitFor()
    await screenshots.take(adminPage, 'credentials-list')

    problems.assertNone()
  })
})

/** Asserts that the image with this alt text loaded and has the given natural width. */
async function assertImageLoaded(page: Page, alt: string, width: number): Promise<void> {
  const image = page.getByRole('img', { name: alt, exact: true })
  await image.waitFor()
  await page.waitForFunction((element) => (element as unknown as LoadingImage | null)?.complete === true, await image.elementHandle())
  assert.equal(await image.evaluate((element) => (element as unknown as LoadingImage).naturalWidth), width, `The image "${alt}" rendered`)
}

/** The parts of the DOM the in-page functions use (this project compiles without the DOM library). */
interface LoadingImage {
  complete: boolean
  naturalWidth: number
}

interface SamplingGlobal {
  progressSamples?: ProgressSample[]
  document: {
    querySelector(selector: string): { getAttribute(name: string): string | null; querySelector(selector: string): { value: number } | null } | null
  }
}

interface ProgressSample {
  state: string
  value: number
}

/**
 * Polls the progress bar in the page every 50 ms (through waitForFunction) and records each change
 * of state or value, until the job has completed or failed. Returns the samples in order.
 */
async function sampleProgress(page: Page): Promise<ProgressSample[]> {
  await page.waitForFunction(
    () => {
      const global = globalThis as unknown as SamplingGlobal
      if (!global.progressSamples) global.progressSamples = []
      const samples = global.progressSamples
      const article = global.document.querySelector('.job-progress')
      const bar = article?.querySelector('progress')
      if (!article || !bar) return false
      const sample = { state: article.getAttribute('data-state') ?? '', value: Number(bar.value) }
      const last = samples.at(-1)
      if (!last || last.state !== sample.state || last.value !== sample.value) samples.push(sample)
      return sample.state === 'completed' || sample.state === 'failed'
    },
    undefined,
    { polling: 50, timeout: 180_000 },
  )
  return page.evaluate(() => (globalThis as unknown as SamplingGlobal).progressSamples ?? [])
}
