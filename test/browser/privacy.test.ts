import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { unzipSync } from 'fflate'
import type { Browser, Page } from 'playwright-core'
import { issueCredential } from '../../src/features/credentials/service.ts'
import { addMember } from '../../src/features/orgs/service.ts'
import { newIssuingOrg, newPerson } from '../support/factories.ts'
import type { TestApp } from '../support/harness.ts'
import { BrowserProblems, closeBrowserApp, openBrowserApp, openPersonPage, Screenshots, signIn } from './browser.ts'

let testApp: TestApp
let browser: Browser
let baseURL: string

// The data export runs as a job, so this app has a worker.
before(async () => {
  ;({ testApp, browser, baseURL } = await openBrowserApp({ worker: true }))
})
after(() => closeBrowserApp({ testApp, browser }))

/** Accepts every data-confirm dialog the page raises. */
function acceptDialogs(page: Page): void {
  page.on('dialog', (dialog) => void dialog.accept())
}

describe('the privacy center in Chromium', () => {
  it('a person downloads their data and asks for erasure; staff complete it; the person cannot sign in and the credential page shows only the kept record', async () => {
    const problems = new BrowserProblems()
    const screenshots = new Screenshots(40)
    const { org, owner, scope, achievementId } = await newIssuingOrg(testApp)
    const holderName = 'Ådne Quillfeather-Søndergaard'
    const holder = await newPerson(testApp, { name: holderName })
    await addMember(testApp.platform, scope, { accountId: holder.account.id, role: 'member' })
    const { credential } = await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: holder.email, recipientName: holderName })

    // The holder downloads all their data: a ZIP whose JSON files parse and hold their name, address and credential.
    const { page } = await openPersonPage(browser, baseURL, problems)
    acceptDialogs(page)
    await signIn(page, holder.email, holder.password)
    await page.goto('/account/privacy')
    await page.getByRole('heading', { level: 1, name: 'My privacy' }).waitFor()
    await page.getByRole('button', { name: 'Download all my data' }).click()
    const downloadLink = page.locator('#data-export').getByRole('link', { name: 'Download' }).first()
    for (let attempt = 0; attempt < 120 && !(await downloadLink.isVisible()); attempt++) {
      await page.waitForTimeout(500)
      if (attempt % 10 === 9) await page.reload()
    }
    await screenshots.take(page, 'my-privacy')
    const [download] = await Promise.all([page.waitForEvent('download'), downloadLink.click()])
    const files = unzipSync(new Uint8Array(await readFile(await download.path())))
    const jsonFiles = Object.entries(files).filter(([name]) => name.endsWith('.json'))
    assert.ok(jsonFiles.length >= 5, `the ZIP holds JSON files: ${Object.keys(files).join(', ')}`)
    const everything = jsonFiles.map(([name, bytes]) => JSON.stringify(JSON.parse(Buffer.from(bytes).toString('utf8')), null, 0) + name).join('\n')
    for (const canary of [holder.email, holderName, credential.id]) assert.ok(everything.includes(canary), `the export holds ${canary}`)
    assert.ok(
      Object.keys(files).some((name) => name.endsWith('.pdf')),
      'the export holds the PDF certificate',
    )

    // The holder asks the organisation for erasure, and confirms.
    const erasure = page.locator('form').filter({ has: page.getByRole('button', { name: 'Request erasure' }) })
    await erasure.getByLabel('Send to').selectOption(org.id)
    await erasure.getByRole('button', { name: 'Request erasure' }).click()
    await page.getByRole('button', { name: 'Yes, request erasure' }).click()
    await page.waitForURL((url) => url.pathname === '/account/privacy')
    await page.getByRole('cell', { name: 'Erasure' }).first().waitFor()

    // Staff find it in the queue, send it for approval and complete it.
    const { page: staffPage } = await openPersonPage(browser, baseURL, problems)
    acceptDialogs(staffPage)
    await signIn(staffPage, owner.email, owner.password)
    await staffPage.goto(`/orgs/${org.id}/privacy/requests`)
    await staffPage
      .getByRole('link', { name: /Erasure/ })
      .first()
      .click()
    await staffPage.getByRole('heading', { level: 1 }).waitFor()
    assert.ok((await staffPage.getByRole('main').textContent())?.includes(holder.email), 'staff see whose request it is')
    await staffPage.getByRole('button', { name: 'Send for approval' }).click()
    await staffPage.getByRole('button', { name: 'Approve and complete' }).click()
    await staffPage.getByText('Completed').first().waitFor()
    await screenshots.take(staffPage, 'privacy-request-completed')

    // The person can no longer sign in.
    const { page: again } = await openPersonPage(browser, baseURL, problems)
    await again.goto('/sign-in')
    await again.getByLabel('Email').fill(holder.email)
    await again.getByLabel('Password').fill(holder.password)
    await again.getByRole('main').getByRole('button', { name: 'Sign in' }).click()
    await again.waitForLoadState()
    assert.equal(new URL(again.url()).pathname, '/sign-in', 'the erased person stays on the sign-in page')

    // The credential's public page shows only the declared record: still verifiable, no address.
    await again.goto(`/credentials/${credential.id}`)
    await again.locator('[data-erased="true"]').waitFor()
    const publicText = (await again.getByRole('main').textContent()) ?? ''
    assert.ok(publicText.includes(holderName), 'the holder’s name is part of the kept record')
    assert.ok(publicText.includes('First Aid'), 'the achievement is part of the kept record')
    assert.ok(!publicText.includes(holder.email), 'no email address')
    await screenshots.take(again, 'credential-after-erasure')
    assert.deepEqual(problems.found, [])
  })
})
