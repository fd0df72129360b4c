import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { issueCredentials } from '../../src/features/credentials/issuance/issuance.ts'
import { newIssuingOrg, uniqueEmail } from '../support/factories.ts'
import type { TestApp } from '../support/harness.ts'
import { BrowserProblems, closeBrowserApp, openBrowserApp, openPersonPage, Screenshots, signIn } from './browser.ts'

let testApp: TestApp
let browser: Browser
let baseURL: string

before(async () => {
  ;({ testApp, browser, baseURL } = await openBrowserApp())
})
after(() => closeBrowserApp({ testApp, browser }))

describe('the credential list in Chromium', () => {
  it('sorts by a header, ticks every row with the header checkbox, and revokes them after a confirmation naming the count', async () => {
    const problems = new BrowserProblems()
    const screenshots = new Screenshots(60)
    const { org, owner, scope, achievementId } = await newIssuingOrg(testApp)
    await issueCredentials(
      testApp.platform,
      scope,
      ['Ines Ortega', 'Bao Nguyen', 'Ama Mensah'].map((recipientName) => ({ achievementId, recipientName, recipientEmail: uniqueEmail() })),
    )
    const { page } = await openPersonPage(browser, baseURL, problems)
    await signIn(page, owner.email, owner.password)
    await page.goto(`/orgs/${org.id}/credentials`)

    await page.getByRole('link', { name: 'Recipient' }).click()
    await page.waitForURL(/sort=recipient&dir=asc/)
    assert.equal(await page.getByRole('columnheader', { name: 'Recipient' }).getAttribute('aria-sort'), 'ascending')
    const recipients = page.locator('#main tbody tr td:nth-child(2) a')
    assert.deepEqual(await recipients.allTextContents(), ['Ama Mensah', 'Bao Nguyen', 'Ines Ortega'])

    await page.getByRole('checkbox', { name: 'Select all on this page' }).check()
    for (const name of ['Ama Mensah', 'Bao Nguyen', 'Ines Ortega']) assert.ok(await page.getByRole('checkbox', { name: `Select ${name}` }).isChecked(), name)
    await page.getByRole('checkbox', { name: 'Select Bao Nguyen' }).uncheck()
    const selectAll = page.getByRole('checkbox', { name: 'Select all on this page' })
    assert.deepEqual(
      await selectAll.evaluate((box) => {
        const checkbox = box as unknown as { checked: boolean; indeterminate: boolean }
        return [checkbox.checked, checkbox.indeterminate]
      }),
      [false, true],
      'some ticked: indeterminate',
    )
    await screenshots.take(page, 'credential-list-ticked')
    await page.getByRole('button', { name: 'Revoke…' }).click()
    await page.getByRole('heading', { level: 1, name: 'Revoke 2 credentials?' }).waitFor()
    await page.getByLabel('Reason').fill('Course withdrawn')
    await page.getByRole('button', { name: 'Revoke 2 credentials' }).click()
    await page.waitForURL(/sort=recipient&dir=asc/)
    await page.getByRole('status').filter({ hasText: '2 revoked' }).waitFor()
    assert.deepEqual(await page.locator('#main tbody tr [data-status]').evaluateAll((badges) => badges.map((badge) => badge.getAttribute('data-status'))), [
      'revoked',
      'valid',
      'revoked',
    ])
    await screenshots.take(page, 'credential-list-revoked')
    problems.assertNone()
  })
})
