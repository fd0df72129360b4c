import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { describe, it } from 'node:test'
import { type NewPortalSession, PortalUnavailableError } from './connector.ts'
import { HttpPortalConnector, type HttpPortalConnectorOptions } from './http-connector.ts'
import { PortalSimulator, type PortalSimulatorOptions } from './simulator.ts'

const HOUR_MS = 60 * 60 * 1000
const ACCOUNT = { username: 'bulk-runner', password: 'canary-portal-password-7c1e', proctorId: 'prc-1' }

function newSession(index: number): NewPortalSession {
  const startsAt = new Date(Date.now() + (2 + index) * HOUR_MS)
  return { examCode: `EX-${index}`, centreCode: 'C-1', proctorId: 'prc-1', startsAt, endsAt: new Date(startsAt.getTime() + HOUR_MS), seats: 10 }
}

/** A simulator and a logged-in connector for one test, closed with it. */
async function setUp(
  t: { after(fn: () => Promise<void>): void },
  simulatorOptions: Partial<PortalSimulatorOptions>,
  options: Partial<HttpPortalConnectorOptions>,
) {
  const simulator = await PortalSimulator.start({ accounts: [ACCOUNT], ...simulatorOptions })
  t.after(() => simulator.close())
  const logLines: string[] = []
  const connector = new HttpPortalConnector({
    baseUrl: simulator.url,
    baseDelayMs: 5,
    log: { warn: (data, message) => logLines.push(JSON.stringify({ ...data, message })) },
    ...options,
  })
  const { token } = await connector.login(ACCOUNT.username, ACCOUNT.password)
  return { simulator, connector, token, logLines }
}

describe('rate limit', () => {
  it('the client-side limiter keeps a concurrent bulk run under the portal limit without 429s', async (t) => {
    const { simulator, connector, token } = await setUp(t, { rateLimit: 10, latencyMs: 2 }, { requestsPerSecond: 10 })
    const startedAt = performance.now()
    const created = await Promise.all(Array.from({ length: 15 }, (_, index) => connector.createSession(token, newSession(index), `limit-${index}`)))
    const elapsedMs = performance.now() - startedAt
    assert.equal(new Set(created.map((session) => session.id)).size, 15)
    assert.equal(simulator.requests().filter((request) => request.status === 429).length, 0)
    assert.ok(elapsedMs >= 1300, `15 requests after the login at 10/s take about 1.5 s, took ${Math.round(elapsedMs)} ms`)
  })

  it('without a client limit the portal answers 429, and each retry waits the Retry-After it was given', async (t) => {
    const { simulator, connector, token } = await setUp(t, { rateLimit: 2 }, { requestsPerSecond: 1000, burst: 1000 })
    await Promise.all(Array.from({ length: 3 }, (_, index) => connector.createSession(token, newSession(index), `burst-${index}`)))
    const requests = simulator.requests()
    const limited = requests.filter((request) => request.status === 429)
    assert.ok(limited.length > 0, 'the burst was rate limited')
    for (const refused of limited) {
      const retry = requests.find((request) => request.idempotencyKey === refused.idempotencyKey && request.at > refused.at)
      assert.ok(retry, `row ${refused.idempotencyKey} was retried`)
      assert.ok(retry.at.getTime() - refused.at.getTime() >= 990, 'the retry waited Retry-After (1 s)')
    }
    assert.equal(simulator.sessions().length, 3)
  })
})

describe('transient failures', () => {
  it('503s are retried with the same idempotency key until the portal answers, and the logs hold no secret', async (t) => {
    const { simulator, connector, token, logLines } = await setUp(t, {}, { maxAttempts: 5 })
    simulator.failNext(3)
    const session = await connector.createSession(token, newSession(1), 'flaky-row')
    const attempts = simulator.requests().filter((request) => request.idempotencyKey === 'flaky-row')
    assert.deepEqual(
      attempts.map((request) => request.status),
      [503, 503, 503, 201],
    )
    assert.deepEqual(
      simulator.sessions().map((created) => created.id),
      [session.id],
    )
    assert.equal(logLines.length, 3)
    for (const line of logLines) {
      assert.ok(!line.includes(token) && !line.includes(ACCOUNT.password), 'a log line holds a secret')
    }
  })

  it('gives up after the allowed attempts with a clear PortalUnavailableError', async (t) => {
    const { simulator, connector, token } = await setUp(t, {}, { maxAttempts: 3 })
    simulator.failNext(10)
    await assert.rejects(connector.createSession(token, newSession(1), 'doomed-row'), (error) => {
      assert.ok(error instanceof PortalUnavailableError)
      assert.equal(error.code, 'portal_unavailable')
      assert.match(error.message, /POST \/sessions failed after 3 attempts: the portal answered 503/)
      assert.ok(!error.message.includes(token))
      return true
    })
    assert.equal(simulator.requests().filter((request) => request.idempotencyKey === 'doomed-row').length, 3)
  })

  it('a concurrent bulk run through a portal failing many requests creates every session exactly once', async (t) => {
    const { simulator, connector, token } = await setUp(t, {}, { requestsPerSecond: 1000, maxAttempts: 12, baseDelayMs: 2 })
    // Fewer failures than attempts, so none can exhaust a request's attempts whichever requests they hit.
    simulator.failNext(11)
    const created = await Promise.all(Array.from({ length: 40 }, (_, index) => connector.createSession(token, newSession(index), `bulk-${index}`)))
    assert.equal(new Set(created.map((session) => session.id)).size, 40)
    assert.equal(simulator.sessions().length, 40)
    assert.equal(simulator.requests().filter((request) => request.status === 503).length, 11)
  })

  it('network errors are retried, then reported as PortalUnavailableError', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const connector = new HttpPortalConnector({ baseUrl: `http://127.0.0.1:${port}`, maxAttempts: 3, baseDelayMs: 1 })
    await assert.rejects(connector.login(ACCOUNT.username, ACCOUNT.password), (error) => {
      assert.ok(error instanceof PortalUnavailableError)
      assert.match(error.message, /POST \/login failed after 3 attempts: the portal could not be reached/)
      assert.ok(!error.message.includes(ACCOUNT.password))
      return true
    })
  })
})
