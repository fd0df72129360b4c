import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, Locator, Page } from 'playwright-core'
import { createAccount } from '../../src/features/identity/service.ts'
import { strongPassword, uniqueEmail } from '../support/factories.ts'
import type { TestApp } from '../support/harness.ts'
import { BrowserProblems, closeBrowserApp, Outbox, openBrowserApp, openPersonPage, Screenshots, signIn } from './browser.ts'

let testApp: TestApp
let browser: Browser
let baseURL: string

before(async () => {
  ;({ testApp, browser, baseURL } = await openBrowserApp())
})
after(() => closeBrowserApp({ testApp, browser }))

interface Person {
  name: string
  email: string
  password: string
}

function newPerson(name: string, label: string): Person {
  const password = strongPassword()
  testApp.secrets.add(password)
  return { name, email: uniqueEmail(label), password }
}

describe('onboarding in Chromium', () => {
  it('signs up, verifies, signs in, creates an org, invites a second person who accepts and sees the org', async () => {
    const problems = new BrowserProblems()
    const screenshots = new Screenshots()

    const admin = newPerson('Platform Admin', 'admin')
    await createAccount(testApp.platform, { ...admin, isEmailVerified: true, isPlatformAdmin: true })
    const adminSession = await openPersonPage(browser, baseURL, problems)
    await signIn(adminSession.page, admin.email, admin.password)
    const outbox = new Outbox(adminSession.page, testApp, screenshots)

    const founder = newPerson('Ada Founder', 'founder')
    const orgName = 'Northwind Certification Board'
    const { page: founderPage } = await openPersonPage(browser, baseURL, problems)

    await signUpAndVerify(founderPage, founder, outbox, screenshots, 'founder')
    await signIn(founderPage, founder.email, founder.password)
    await founderPage.waitForURL('/me/credentials')
    await screenshots.take(founderPage, 'founder-no-orgs')

    await founderPage.getByRole('main').getByRole('link', { name: 'Create an organisation' }).click()
    await founderPage.waitForURL('/orgs/new')
    await founderPage.getByRole('textbox', { name: 'Name' }).fill(orgName)
    await screenshots.take(founderPage, 'founder-new-org')
    await founderPage.getByRole('button', { name: 'Create organisation' }).click()
    await founderPage.waitForURL(/\/orgs\/[^/]+$/)
    await founderPage.getByRole('heading', { level: 1, name: orgName }).waitFor()
    await founderPage
      .getByRole('status')
      .filter({ hasText: `${orgName} is ready` })
      .waitFor()
    await screenshots.take(founderPage, 'founder-org-dashboard')

    const member = newPerson('Grace Member', 'member')
    await founderPage.getByRole('navigation', { name: 'Organisation' }).getByRole('link', { name: 'Members', exact: true }).click()
    await founderPage.waitForURL(/\/orgs\/[^/]+\/members$/)
    const inviteForm = founderPage.locator('form').filter({ has: founderPage.getByRole('button', { name: 'Send invitation' }) })
    await inviteForm.getByLabel('Email').fill(member.email)
    await inviteForm.getByLabel('Role').selectOption({ label: 'Member' })
    await screenshots.take(founderPage, 'founder-members')
    await inviteForm.getByRole('button', { name: 'Send invitation' }).click()
    await founderPage
      .getByRole('status')
      .filter({ hasText: `Invitation sent to ${member.email}` })
      .waitFor()
    await founderPage.getByRole('cell', { name: member.email, exact: true }).waitFor()
    await screenshots.take(founderPage, 'founder-invitation-sent')

    const { page: memberPage } = await openPersonPage(browser, baseURL, problems)
    await signUpAndVerify(memberPage, member, outbox, screenshots, 'member')
    await signIn(memberPage, member.email, member.password)
    await memberPage.waitForURL('/me/credentials')
    await screenshots.take(memberPage, 'member-no-orgs')

    await memberPage.goto(await outbox.linkTo(member.email, '/invitations/accept', 'outbox-invitation'))
    await memberPage.getByRole('heading', { level: 1, name: `Join ${orgName}` }).waitFor()
    await screenshots.take(memberPage, 'member-invitation')
    await memberPage.getByRole('button', { name: 'Accept invitation' }).click()
    await memberPage.waitForURL(/\/orgs\/[^/]+$/)
    await memberPage.getByRole('heading', { level: 1, name: orgName }).waitFor()
    await memberPage.getByRole('status').filter({ hasText: 'Welcome aboard' }).waitFor()
    assert.match((await memberPage.getByRole('main').textContent()) ?? '', /Your role:\s*member/)
    await screenshots.take(memberPage, 'member-org-dashboard')

    problems.assertNone()
  })

  it('lets a keyboard user Tab to the email field, the password field, “Keep me signed in” and the Sign in button, in that order', async () => {
    const problems = new BrowserProblems()
    const { context, page } = await openPersonPage(browser, baseURL, problems)
    await page.goto('/sign-in')
    const email = page.getByLabel('Email')
    const password = page.getByLabel('Password')
    const keepSignedIn = page.getByLabel('Keep me signed in')
    const submit = page.getByRole('main').getByRole('button', { name: 'Sign in' })
    assert.ok(await isFocused(email), 'The email field has focus when the page opens')

    // Start from the top of the page, as a keyboard user arriving by Tab would.
    await page.getByRole('link', { name: 'Skip to content' }).focus()
    let presses = 0
    while (!(await isFocused(email))) {
      presses += 1
      assert.ok(presses <= 10, 'Tab never reached the email field')
      await page.keyboard.press('Tab')
    }
    await page.keyboard.press('Tab')
    assert.ok(await isFocused(password), 'Tab after the email field reaches the password field')
    await page.keyboard.press('Tab')
    assert.ok(await isFocused(keepSignedIn), 'Tab after the password field reaches “Keep me signed in”')
    await page.keyboard.press('Tab')
    assert.ok(await isFocused(submit), 'Tab after “Keep me signed in” reaches the Sign in button')

    await context.close()
    problems.assertNone()
  })
})

/** Signs up through the form, then opens the verification link that the platform admin reads in the outbox. */
async function signUpAndVerify(page: Page, person: Person, outbox: Outbox, screenshots: Screenshots, who: string): Promise<void> {
  await page.goto('/sign-up')
  await page.getByLabel('Full name').fill(person.name)
  await page.getByLabel('Email', { exact: true }).fill(person.email)
  await page.getByLabel('Password').fill(person.password)
  await screenshots.take(page, `${who}-sign-up`)
  await page.getByRole('main').getByRole('button', { name: 'Sign up' }).click()
  await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor()
  await screenshots.take(page, `${who}-check-email`)

  await page.goto(await outbox.linkTo(person.email, '/verify-email', `outbox-${who}-verification`))
  await page.waitForURL('/sign-in')
  await page.getByRole('status').filter({ hasText: 'Your email address is confirmed' }).waitFor()
  await screenshots.take(page, `${who}-email-confirmed`)
}

/** Whether the element is the one with keyboard focus. */
async function isFocused(locator: Locator): Promise<boolean> {
  return (await locator.and(locator.page().locator(':focus')).count()) === 1
}
