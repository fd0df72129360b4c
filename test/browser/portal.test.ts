import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { HttpPortalConnector } from '../../src/features/exams/portal/http-connector.ts'
import { PortalSimulator } from '../../src/features/exams/portal/simulator.ts'
import { getExamSessionView, listExamSessions, saveCentre, saveExam, saveProctor, saveRoom } from '../../src/features/exams/service.ts'
import type { OrgScope } from '../../src/features/orgs/service.ts'
import { utcToZoned } from '../../src/platform/time-zones.ts'
import { newOrg } from '../support/factories.ts'
import { startTestApp, type TestApp } from '../support/harness.ts'
import { BrowserProblems, launchChromium, listen, openPersonPage, Screenshots, signIn } from './browser.ts'

/*
 * Issue 5's browser acceptance: an org admin connects the testing portal, lists its sessions, bulk-creates
 * 50 exam sessions from a CSV here and at the portal while the progress bar moves, confirms 10 and cancels 5
 * at the portal, and disconnects; all through the pages, against a real portal simulator.
 */

const HOUR = 3_600_000
const DAY = 24 * HOUR
const ZONE = 'Europe/Berlin'
const PORTAL_ACCOUNT = { username: 'ada.proctor', password: 'browser-portal-password-5c81e0', proctorId: 'PRC-ADA' }
const PROCTORS = [
  { name: 'Ada Lovelace', email: 'ada.proctor@example.org', portalProctorId: PORTAL_ACCOUNT.proctorId },
  { name: 'Blaise Pascal', email: 'blaise.proctor@example.org', portalProctorId: 'PRC-BLAISE' },
  { name: 'Carl Gauss', email: 'carl.proctor@example.org', portalProctorId: 'PRC-CARL' },
]
const CANCEL_REASON = 'Hall B flooring is being replaced that week'

let testApp: TestApp
let browser: Browser
let baseURL: string
let simulator: PortalSimulator

before(async () => {
  testApp = await startTestApp({ worker: true })
  testApp.secrets.add(PORTAL_ACCOUNT.password)
  baseURL = await listen(testApp)
  browser = await launchChromium()
  // Slow enough that a bulk run of 50 takes a few seconds and the progress bar visibly moves.
  simulator = await PortalSimulator.start({ accounts: [PORTAL_ACCOUNT], latencyMs: 80 })
})

after(async () => {
  if (simulator) {
    const tokens = simulator.tokens()
    for (const token of [...tokens.live, ...tokens.loggedOut, ...tokens.expired]) testApp?.secrets.add(token)
    await simulator.close()
  }
  await browser?.close()
  await testApp?.close()
})

/** "YYYY-MM-DD HH:MM" in the centre's time zone. */
const local = (instant: Date) => utcToZoned(instant, ZONE).replace('T', ' ').slice(0, 16)

/** Reads the run page's progress bar while the run goes on, until it is finished; with `shot`, a screenshot of it mid-run. */
async function watchRun(page: Page, shot?: { screenshots: Screenshots; step: string }): Promise<number[]> {
  const seen: number[] = []
  let hasMidRunShot = false
  for (let i = 0; i < 600; i++) {
    const progress = page.locator('article.job-progress')
    const state = await progress.getAttribute('data-state').catch(() => null)
    const value = await page
      .locator('article.job-progress progress')
      .getAttribute('value', { timeout: 1000 })
      .catch(() => null)
    if (value !== null && seen.at(-1) !== Number(value)) seen.push(Number(value))
    if (shot && !hasMidRunShot && value !== null && Number(value) > 0 && Number(value) < 100) {
      await shot.screenshots.take(page, shot.step)
      hasMidRunShot = true
    }
    if (state === 'completed' || state === 'failed' || state === 'stopped') break
    await page.waitForTimeout(100)
  }
  // The page reloads itself when the run ends, to show the results table in its end state: without the Stop button.
  await page.getByRole('button', { name: 'Stop run' }).waitFor({ state: 'detached' })
  await page.locator('article.job-progress[data-state="completed"]').waitFor()
  await page.locator('#portal-run-items').waitFor()
  return seen
}

/** Checks the exam sessions' boxes by their accessible names and returns their IDs. */
async function select(page: Page, labels: string[]): Promise<string[]> {
  const ids: string[] = []
  for (const label of labels) {
    const box = page.getByRole('checkbox', { name: label, exact: true })
    await box.check()
    ids.push((await box.getAttribute('value')) ?? '')
  }
  return ids
}

/** Adds to the problems any console error, failed request or error answer, beyond the CSP violations and script errors BrowserProblems watches. */
function watchRequests(page: Page, problems: BrowserProblems): void {
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().includes('Content Security Policy'))
      problems.found.push(`Console error on ${page.url()}: ${message.text()}`)
  })
  page.on('requestfailed', (request) => {
    // ERR_ABORTED is the browser dropping a request itself, as when the page navigates while the
    // favicon still loads; a request the server or the network failed has another error.
    const error = request.failure()?.errorText
    if (error !== 'net::ERR_ABORTED') problems.found.push(`Request failed: ${request.method()} ${request.url()}: ${error}`)
  })
  page.on('response', (response) => {
    if (response.status() >= 400) problems.found.push(`${response.status()} for ${response.request().method()} ${response.url()}`)
  })
}

async function filterByProctor(page: Page, orgId: string, proctorName: string): Promise<void> {
  await page.goto(`/orgs/${orgId}/exam-sessions`)
  await page.getByRole('combobox', { name: /^Proctor\b/ }).selectOption({ label: proctorName })
  await page.getByRole('button', { name: 'Filter', exact: true }).click()
  await page.waitForURL(/proctorId=/)
}

describe('testing portal in Chromium', () => {
  it('connects, lists the portal sessions, bulk-creates 50 with a moving progress bar, confirms 10, cancels 5 with a reason, and disconnects', async () => {
    const problems = new BrowserProblems()
    const screenshots = new Screenshots(50)
    const now = Date.now()

    // The catalog, set up through the service (its pages are not what this test is about).
    const { org, owner } = await newOrg(testApp, 'Harbour Testing Centre')
    const scope: OrgScope = { orgId: org.id, accountId: owner.account.id, role: 'owner' }
    const platform = testApp.platform
    await saveExam(platform, scope, { code: 'TS-101', title: 'TypeScript Foundations', durationMinutes: 45, passMark: 60, maxScore: 100, achievementId: null })
    await saveExam(platform, scope, { code: 'TS-201', title: 'TypeScript Practitioner', durationMinutes: 90, passMark: 70, maxScore: 100, achievementId: null })
    const centre = await saveCentre(platform, scope, { code: 'BER', name: 'Berlin Harbour', timeZone: ZONE })
    for (const name of ['Hall A', 'Hall B', 'Lab C']) await saveRoom(platform, scope, centre.id, { name, capacity: 20 })
    for (const proctor of PROCTORS) await saveProctor(platform, scope, { ...proctor, memberId: null })

    // Sessions already at the portal, made there directly (not in Laurel).
    const outside = new HttpPortalConnector({ baseUrl: simulator.url })
    const login = await outside.login(PORTAL_ACCOUNT.username, PORTAL_ACCOUNT.password)
    testApp.secrets.add(login.token)
    for (const days of [3, 4, 5]) {
      const startsAt = new Date(Math.ceil((now + days * DAY) / HOUR) * HOUR)
      await outside.createSession(
        login.token,
        { examCode: 'TS-101', centreCode: 'BER', proctorId: 'PRC-BLAISE', startsAt, endsAt: new Date(startsAt.getTime() + HOUR), seats: 12 },
        `pre-existing-${days}`,
      )
    }
    await outside.logout(login.token)
    assert.equal(simulator.sessions().length, 3)

    // 1. The org admin sets the portal's address and connects with their own portal account.
    const { page } = await openPersonPage(browser, baseURL, problems)
    watchRequests(page, problems)
    await signIn(page, owner.email, owner.password)
    await page.goto(`/orgs/${org.id}/portal/settings`)
    await page.getByLabel('Portal base URL').fill(simulator.url)
    await page.getByLabel('Requests per second, at most').fill('10')
    await screenshots.take(page, 'portal-settings')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.waitForURL((url) => url.pathname === `/orgs/${org.id}/portal`)
    await page.getByText('Testing portal settings saved.').waitFor()
    await page.getByRole('heading', { name: 'Connect the testing portal' }).waitFor()
    await page.getByLabel('Portal username').fill(PORTAL_ACCOUNT.username)
    await page.getByLabel('Portal password').fill(PORTAL_ACCOUNT.password)
    await screenshots.take(page, 'portal-connect')
    await page.getByRole('button', { name: 'Connect portal' }).click()
    await page.getByText(`Connected as ${PORTAL_ACCOUNT.username}, proctor ID ${PORTAL_ACCOUNT.proctorId}.`).waitFor()
    await page.getByText('3 sessions at the portal').waitFor()
    const listed = page.locator('#portal-sessions tbody tr')
    assert.equal(await listed.count(), 3)
    for (const session of simulator.sessions()) {
      const row = page.locator(`tr[data-portal-session="${session.id}"]`)
      await row.getByText('Not in Laurel').waitFor()
      await row.getByText('PRC-BLAISE').waitFor()
    }
    await screenshots.take(page, 'portal-connected-list')

    // 2. 50 exam sessions from a CSV, here and at the portal. Ada's 12 start within the next 24 hours, an hour
    // apart in Hall A; Blaise (Hall B, mornings) and Carl (Lab C, afternoons) take 19 days each from the day after tomorrow.
    const firstStart = Math.ceil(now / HOUR) * HOUR + 2 * HOUR
    const adaStarts = Array.from({ length: 12 }, (_, i) => local(new Date(firstStart + i * HOUR)))
    const dayOf = (days: number) => local(new Date(now + days * DAY)).slice(0, 10)
    const blaiseStarts = Array.from({ length: 19 }, (_, i) => `${dayOf(i + 2)} 09:00`)
    const carlStarts = Array.from({ length: 19 }, (_, i) => `${dayOf(i + 2)} 14:00`)
    const rows = [
      ...adaStarts.map((start) => `TS-101,BER,Hall A,${start},,12,ada.proctor@example.org`),
      ...blaiseStarts.map((start) => `TS-201,BER,Hall B,${start},,16,blaise.proctor@example.org`),
      ...carlStarts.map((start) => `TS-101,BER,Lab C,${start},,20,carl.proctor@example.org`),
    ]
    assert.equal(rows.length, 50)
    const csv = ['exam,centre,room,start,end,seats,proctor', ...rows].join('\n')
    await page.goto(`/orgs/${org.id}/exam-sessions/import`)
    await page.getByLabel(/^CSV file/).setInputFiles({ name: 'harbour-sessions.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
    await page.getByLabel(/Also create these at the testing portal/).check()
    await screenshots.take(page, 'import-upload')
    await page.getByRole('button', { name: 'Check the file' }).click()
    await page.getByRole('heading', { level: 1, name: 'Preview of harbour-sessions.csv' }).waitFor()
    await page.getByText('50 ready to create').waitFor()
    await page.getByText('Every row is fine.').waitFor()
    assert.equal(simulator.sessions().length, 3, 'the preview sent nothing to the portal')
    await screenshots.take(page, 'import-preview')
    await page.getByRole('button', { name: 'Create 50 exam sessions here and at the testing portal' }).click()
    await page.waitForURL(/\/portal-runs\/prun_/)
    await page.getByRole('heading', { level: 1, name: 'Creating at the testing portal' }).waitFor()
    const createProgress = await watchRun(page, { screenshots, step: 'bulk-create-running' })
    const beforeEnd = createProgress.filter((value) => value < 100)
    assert.ok(
      beforeEnd.some((value, i) => i > 0 && value > (beforeEnd[i - 1] ?? 100)),
      `the progress bar moved before the run ended (read ${createProgress.join(', ')})`,
    )
    assert.equal(createProgress.at(-1), 100)
    assert.equal(await page.locator('#portal-run-items tr[data-state="done"]').count(), 50)
    await page.getByText('50 done, 0 failed, 0 skipped').waitFor()
    await screenshots.take(page, 'bulk-create-done')
    const atPortal = () => new Map(simulator.sessions().map((session) => [session.id, session]))
    assert.equal(atPortal().size, 53)
    const laurel = await listExamSessions(platform.db, scope, { page: 1 })
    assert.equal(laurel.total, 50)
    const viewsOf = (ids: string[]) => Promise.all(ids.map((id) => getExamSessionView(platform.db, scope, id)))

    // The portal page lists them too, linked to Laurel's exam sessions.
    await page.goto(`/orgs/${org.id}/portal`)
    await page.getByText('53 sessions at the portal').waitFor()
    await screenshots.take(page, 'portal-after-bulk-create')

    // 3. Confirm 10 of Ada's at the portal, as Ada (the connected proctor).
    await filterByProctor(page, org.id, 'Ada Lovelace')
    await page.getByText('12 exam sessions').waitFor()
    const confirmIds = await select(
      page,
      adaStarts.slice(0, 10).map((start) => `Select TS-101 at ${start}`),
    )
    await screenshots.take(page, 'confirm-selection')
    await page.getByRole('button', { name: 'Confirm at portal' }).click()
    await page.getByRole('heading', { level: 1, name: 'Confirm at portal: check before sending' }).waitFor()
    await page.getByText('10 will be sent to confirm').waitFor()
    await page.getByText('0 break a rule (not sent)').waitFor()
    await screenshots.take(page, 'confirm-preview')
    await page.getByRole('button', { name: 'Confirm: confirm 10 at the portal' }).click()
    await page.waitForURL(/\/portal-runs\/prun_/)
    await watchRun(page)
    assert.equal(await page.locator('#portal-run-items tr[data-state="done"]').count(), 10)
    await screenshots.take(page, 'confirm-done')
    const confirmed = await viewsOf(confirmIds)
    for (const session of confirmed) {
      assert.equal(session.status, 'confirmed', 'confirmed in Laurel')
      assert.equal(atPortal().get(session.portalSessionId ?? '')?.status, 'confirmed', 'confirmed at the portal')
    }
    assert.equal([...atPortal().values()].filter((session) => session.status === 'confirmed').length, 10)

    // 4. Cancel 5 of Blaise's at the portal, with a reason.
    await filterByProctor(page, org.id, 'Blaise Pascal')
    await page.getByText('19 exam sessions').waitFor()
    const cancelIds = await select(
      page,
      blaiseStarts.slice(2, 7).map((start) => `Select TS-201 at ${start}`),
    )
    await page.getByLabel('Reason for cancelling', { exact: true }).fill(CANCEL_REASON)
    await screenshots.take(page, 'cancel-selection')
    await page.getByRole('button', { name: 'Cancel at portal' }).click()
    await page.getByRole('heading', { level: 1, name: 'Cancel at portal: check before sending' }).waitFor()
    await page.getByText('5 will be sent to cancel').waitFor()
    await page.getByText(`Reason: ${CANCEL_REASON}`).waitFor()
    await screenshots.take(page, 'cancel-preview')
    await page.getByRole('button', { name: 'Confirm: cancel 5 at the portal' }).click()
    await page.waitForURL(/\/portal-runs\/prun_/)
    await page.getByText(`reason: ${CANCEL_REASON}`).waitFor()
    await watchRun(page)
    assert.equal(await page.locator('#portal-run-items tr[data-state="done"]').count(), 5)
    await screenshots.take(page, 'cancel-done')
    const cancelled = await viewsOf(cancelIds)
    for (const session of cancelled) {
      assert.equal(session.status, 'cancelled', 'cancelled in Laurel')
      const portalSession = atPortal().get(session.portalSessionId ?? '')
      assert.equal(portalSession?.status, 'cancelled', 'cancelled at the portal')
      assert.equal(portalSession?.cancelReason, CANCEL_REASON)
    }
    assert.equal([...atPortal().values()].filter((session) => session.status === 'cancelled').length, 5)

    // Laurel's list agrees: 10 confirmed, 5 cancelled.
    await page.goto(`/orgs/${org.id}/exam-sessions?status=confirmed`)
    await page.getByText('10 exam sessions').waitFor()
    await page.goto(`/orgs/${org.id}/exam-sessions?status=cancelled`)
    await page.getByText('5 exam sessions').waitFor()
    await screenshots.take(page, 'cancelled-in-laurel')

    // 5. Disconnect, saying yes to the question; the connect form is back and no portal token is live.
    await page.goto(`/orgs/${org.id}/portal`)
    let question = ''
    page.once('dialog', (dialog) => {
      question = dialog.message()
      void dialog.accept()
    })
    await page.getByRole('button', { name: 'Disconnect' }).click()
    await page.getByText('Disconnected: your portal sign-in is wiped from Laurel.').waitFor()
    await page.getByRole('heading', { name: 'Connect the testing portal' }).waitFor()
    assert.match(question, /^Disconnect the testing portal\?/)
    await screenshots.take(page, 'portal-disconnected')
    // A run's token is logged out just after the run is marked finished: give the last one a moment.
    for (let i = 0; i < 50 && simulator.tokens().live.length > 0; i++) await page.waitForTimeout(100)
    const tokens = simulator.tokens()
    assert.deepEqual(tokens.live, [], 'no portal token is live')
    assert.ok(tokens.loggedOut.length >= 5, 'the interactive login, each run and the outside login were logged out')

    problems.assertNone()
  })
})
