import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { newOrg } from '../../../../test/support/factories.ts'
import { createTestEnvironment, type TestApp, TestClient, type TestEnvironment, textOf } from '../../../../test/support/harness.ts'
import { features, startPlatform, startWorker } from '../../../app.ts'
import { loadConfig } from '../../../config.ts'
import type { WorkerTask } from '../../../platform/feature.ts'
import { buildServer } from '../../../platform/http/server.tsx'
import { createLogger } from '../../../platform/log.ts'
import type { Platform } from '../../../platform/platform.ts'
import { utcToZoned } from '../../../platform/time-zones.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { saveCentre, saveExam, saveProctor, saveRoom } from '../catalog/catalog.ts'
import { proctors } from '../schema.ts'
import { createExamSession } from '../sessions/sessions.ts'
import { portalIdempotencyKey } from './actions.ts'
import { savePortalConnection } from './connection.ts'
import { getPortalRun, isRunFinished, listPortalRunItems } from './runs.ts'
import { PortalSimulator } from './simulator.ts'

/* The run pages end to end over HTTP with a login session connected to the portal through the Connect form. */

const HOUR = 3_600_000
const PROCTOR = { username: 'pages-proctor', password: 'canary-pages-portal-password-9b27', proctorId: 'prc-pages' }

let environment: TestEnvironment
let platform: Platform
let app: FastifyInstance
let worker: WorkerTask
let simulator: PortalSimulator
let scope: OrgScope
let client: TestClient
const secrets = new Set<string>([PROCTOR.password])
const personalData = new Set<string>()
let roomId = ''
const logLines: string[] = []
let examId = ''
let proctorId = ''

before(async () => {
  environment = await createTestEnvironment()
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk))
      done()
    },
  })
  platform = await startPlatform(loadConfig(environment.env), { log: createLogger('debug', destination) })
  app = await buildServer(platform, features)
  await app.ready()
  worker = await startWorker(platform)
  simulator = await PortalSimulator.start({ accounts: [PROCTOR], latencyMs: 5 })
  const { org, owner } = await newOrg({ platform, secrets, personalData } as unknown as TestApp)
  scope = { orgId: org.id, accountId: owner.account.id, role: 'owner' }
  await savePortalConnection(platform, scope, { baseUrl: simulator.url, requestsPerSecond: 50 })
  examId = (await saveExam(platform, scope, { code: 'PG-1', title: 'Pages', durationMinutes: 30, passMark: 1, maxScore: 2, achievementId: null })).id
  const centre = await saveCentre(platform, scope, { code: 'PGC', name: 'Pages centre', timeZone: 'UTC' })
  roomId = (await saveRoom(platform, scope, centre.id, { name: 'Hall', capacity: 10 })).id
  const proctor = await saveProctor(platform, scope, { name: 'Page Proctor', email: 'page.proctor@example.org', memberId: null })
  await platform.db.update(proctors).set({ portalProctorId: PROCTOR.proctorId }).where(eq(proctors.id, proctor.id))
  proctorId = proctor.id
  client = new TestClient(app, '10.9.8.7', secrets)
  await client.signIn(owner.email, owner.password)
})
after(async () => {
  const tokens = simulator.tokens()
  for (const token of [...tokens.live, ...tokens.loggedOut, ...tokens.expired]) secrets.add(token)
  await simulator.close()
  await app.close()
  await worker.stop()
  await platform.close()
  await environment.dispose()
  const logs = logLines.join('')
  for (const secret of [...secrets, ...personalData])
    assert.ok(!logs.includes(secret), `A secret or personal data appeared in the logs: ${secret.slice(0, 4)}…`)
})

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''

async function post(url: string, fields: [string, string][], csrf: string) {
  return client.request({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams([...fields, ['_csrf', csrf]]).toString(),
  })
}

async function finishedRun(runId: string) {
  for (let i = 0; i < 300; i++) {
    const run = await getPortalRun(platform.db, scope, runId)
    if (isRunFinished(run.state) && run.tokenWipedAt) return run
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('The run did not finish.')
}

describe('portal run pages, connected', () => {
  it('selection → preview naming the refused rows → confirm → run page; and the CSV import creates here and at the portal', async () => {
    const list = await client.get(`/orgs/${scope.orgId}/exam-sessions`)
    await client.get(`/orgs/${scope.orgId}/portal`)
    const connected = await client.submit(`/orgs/${scope.orgId}/portal/connect`, { username: PROCTOR.username, password: PROCTOR.password })
    assert.equal(connected.statusCode, 302, textOf(connected.body).slice(0, 300))
    assert.ok(list.statusCode === 200)

    const create = (startsAt: Date) =>
      createExamSession(platform, scope, { examId, roomId, proctorId, startsAt, endsAt: new Date(startsAt.getTime() + HOUR / 2), seats: 5 })
    const good = await create(new Date(Date.now() + 3 * HOUR))
    const soon = await create(new Date(Date.now() + 20 * 60_000))

    const page = await client.get(`/orgs/${scope.orgId}/exam-sessions`)
    const preview = await post(
      `/orgs/${scope.orgId}/portal-runs/preview`,
      [
        ['ids', good.id],
        ['ids', soon.id],
        ['portalAction', 'create'],
        ['reason', ''],
      ],
      csrfOf(page.body),
    )
    assert.equal(preview.statusCode, 200, textOf(preview.body).slice(0, 500))
    const previewText = textOf(preview.body)
    assert.match(previewText, /1 will be sent to create/)
    assert.match(previewText, /create_min_lead_time The session starts in less than 1 hour/)
    assert.equal(simulator.requests().filter((request) => request.idempotencyKey).length, 0, 'the preview sent nothing')
    const confirmFields = [...preview.body.matchAll(/<input type="hidden" name="(ids|portalAction)" value="([^"]+)"/g)].map(
      (match) => [match[1], match[2]] as [string, string],
    )
    assert.deepEqual(confirmFields, [
      ['portalAction', 'create'],
      ['ids', good.id],
    ])
    const started = await post(`/orgs/${scope.orgId}/portal-runs`, confirmFields, csrfOf(preview.body))
    assert.equal(started.statusCode, 302)
    const runUrl = String(started.headers.location)
    const runId = runUrl.split('/').pop() ?? ''
    const runPage = await client.get(runUrl)
    assert.equal(runPage.statusCode, 200)
    assert.match(runPage.body, /<progress /)
    await finishedRun(runId)
    const finished = await client.get(runUrl)
    assert.match(textOf(finished.body), /PG-1 · PGC Hall/)
    assert.equal((finished.body.match(/<tr data-state="done">/g) ?? []).length, 1)
    assert.equal(simulator.requests().filter((request) => request.idempotencyKey === portalIdempotencyKey(soon.id)).length, 0)
    const portalHome = await client.get(`/orgs/${scope.orgId}/portal`)
    assert.match(
      portalHome.body,
      new RegExp(`<tr data-state="completed"><td><a href="/orgs/${scope.orgId}/portal-runs/${runId}"`),
      'the run is listed under recent runs',
    )

    // The CSV import, with the portal box: a row breaking a portal rule is a bad row; confirming creates the rest here and starts a run.
    const upload = await client.get(`/orgs/${scope.orgId}/exam-sessions/import`)
    assert.match(upload.body, /name="portal" value="1"/)
    const day = (ms: number) =>
      utcToZoned(new Date(Date.now() + ms), 'UTC')
        .replace('T', ' ')
        .slice(0, 16)
    const csv = [
      'exam,centre,room,start,proctor',
      `PG-1,PGC,Hall,${day(5 * 24 * HOUR)},page.proctor@example.org`,
      `PG-1,PGC,Hall,${day(6 * 24 * HOUR)},page.proctor@example.org`,
      `PG-1,PGC,Hall,${day(40 * 24 * HOUR)},page.proctor@example.org`,
    ].join('\n')
    const boundary = 'laurelportalrunboundary'
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrfOf(upload.body)}\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="portal"\r\n\r\n1\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="portal.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n`),
      Buffer.from(`--${boundary}--\r\n`),
    ])
    const checked = await client.request({
      method: 'POST',
      url: `/orgs/${scope.orgId}/exam-sessions/import`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload,
    })
    assert.equal(checked.statusCode, 200, textOf(checked.body).slice(0, 500))
    const checkedText = textOf(checked.body)
    assert.match(checkedText, /4 breaks the portal rule create_max_horizon/)
    const confirmAction = /<form method="post" action="([^"]+confirm\?portal=1)"/.exec(checked.body)?.[1]
    assert.ok(confirmAction, 'the confirm button creates here and at the portal')
    const before = simulator.sessions().length
    const confirmed = await post(confirmAction.replaceAll('&amp;', '&'), [], csrfOf(checked.body))
    assert.equal(confirmed.statusCode, 302)
    const importRunId = String(confirmed.headers.location).split('/').pop() ?? ''
    assert.match(String(confirmed.headers.location), /\/portal-runs\/prun_/)
    const importRun = await finishedRun(importRunId)
    assert.equal(importRun.state, 'completed')
    const items = await listPortalRunItems(platform.db, scope, importRunId)
    assert.deepEqual(
      items.map((item) => item.state),
      ['done', 'done'],
    )
    assert.equal(simulator.sessions().length, before + 2)
  })
})
