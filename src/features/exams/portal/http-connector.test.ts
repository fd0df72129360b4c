import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ManualClock } from '../../../platform/clock.ts'
import { findRuleViolations, type NewPortalSession, PortalAuthError, PortalRequestError, PortalRuleError, PortalValidationError } from './connector.ts'
import { HttpPortalConnector } from './http-connector.ts'
import { PortalSimulator } from './simulator.ts'

const HOUR_MS = 60 * 60 * 1000
const PROCTOR = { username: 'proctor-1', password: 'proctor-password-1', proctorId: 'prc-1' }
const ADMIN = { username: 'admin', password: 'admin-password-1', proctorId: null }

let clock: ManualClock
let simulator: PortalSimulator
let connector: HttpPortalConnector

before(async () => {
  clock = new ManualClock()
  simulator = await PortalSimulator.start({ accounts: [PROCTOR, ADMIN], latencyMs: 2, tokenLifetimeSeconds: 8 * 3600, clock })
  connector = new HttpPortalConnector({ baseUrl: simulator.url, requestsPerSecond: 1000, baseDelayMs: 5 })
})
after(() => simulator.close())

function inHours(hours: number): Date {
  return new Date(clock.now().getTime() + hours * HOUR_MS)
}

function newSession(startsInHours: number, changes: Partial<NewPortalSession> = {}): NewPortalSession {
  const startsAt = inHours(startsInHours)
  return {
    examCode: 'EX-1',
    centreCode: 'C-1',
    proctorId: PROCTOR.proctorId,
    startsAt,
    endsAt: new Date(startsAt.getTime() + 2 * HOUR_MS),
    seats: 12,
    ...changes,
  }
}

let keyCount = 0
function newKey(): string {
  keyCount += 1
  return `key-${Date.now()}-${keyCount}`
}

describe('protocol round trip', () => {
  it('logs in, creates, lists by date range and page, gets, confirms, cancels and logs out', async () => {
    const login = await connector.login(PROCTOR.username, PROCTOR.password)
    assert.equal(login.actor.proctorId, PROCTOR.proctorId)
    assert.ok(login.expiresAt > clock.now())
    const soon = await connector.createSession(login.token, newSession(2), newKey())
    const tomorrow = await connector.createSession(login.token, newSession(26, { seats: 30 }), newKey())
    const later = await connector.createSession(login.token, newSession(500), newKey())
    assert.equal(soon.status, 'scheduled')
    assert.equal(tomorrow.seats, 30)

    const range = { from: inHours(1), to: inHours(100) }
    const first = await connector.listSessions(login.token, { ...range, pageSize: 1 })
    const second = await connector.listSessions(login.token, { ...range, pageSize: 1, page: 2 })
    assert.deepEqual([first.total, first.items.map((session) => session.id), second.items.map((session) => session.id)], [2, [soon.id], [tomorrow.id]])
    const all = await connector.listSessions(login.token, { from: inHours(1) })
    assert.ok(all.items.some((session) => session.id === later.id))

    const fetched = await connector.getSession(login.token, tomorrow.id)
    assert.deepEqual(fetched, tomorrow)
    const confirmed = await connector.confirmSession(login.token, soon.id)
    assert.equal(confirmed.status, 'confirmed')
    assert.equal((await connector.confirmSession(login.token, soon.id)).status, 'confirmed', 'confirming twice changes nothing')
    const cancelled = await connector.cancelSession(login.token, tomorrow.id, 'Room flooded')
    assert.deepEqual([cancelled.status, cancelled.cancelReason], ['cancelled', 'Room flooded'])
    await assert.rejects(connector.confirmSession(login.token, tomorrow.id), (error) => error instanceof PortalRequestError && error.code === 'invalid_state')
    await assert.rejects(connector.getSession(login.token, 'ps_missing'), (error) => error instanceof PortalRequestError && error.code === 'session_not_found')

    await connector.logout(login.token)
    assert.ok(simulator.tokens().loggedOut.includes(login.token))
    assert.ok(!simulator.tokens().live.includes(login.token))
    await assert.rejects(connector.listSessions(login.token), (error) => error instanceof PortalAuthError && error.code === 'token_invalid')
  })

  it('reports wrong credentials and invalid fields as typed errors', async () => {
    await assert.rejects(connector.login(PROCTOR.username, 'wrong'), (error) => error instanceof PortalAuthError && error.code === 'invalid_credentials')
    const { token } = await connector.login(ADMIN.username, ADMIN.password)
    const startsAt = inHours(3)
    await assert.rejects(connector.createSession(token, newSession(3, { endsAt: startsAt, seats: 0, examCode: ' ' }), newKey()), (error) => {
      assert.ok(error instanceof PortalValidationError)
      assert.deepEqual(Object.keys(error.fields).sort(), ['endsAt', 'examCode', 'seats'])
      return true
    })
    const session = await connector.createSession(token, newSession(5), newKey())
    await assert.rejects(connector.cancelSession(token, session.id, '  '), (error) => error instanceof PortalValidationError && 'reason' in error.fields)
    await connector.logout(token)
  })
})

describe('idempotency', () => {
  it('the same key gives the same session, also from a new connector after a crash, and never a duplicate', async () => {
    const { token } = await connector.login(PROCTOR.username, PROCTOR.password)
    const key = newKey()
    const input = newSession(6, { examCode: 'IDEMP' })
    const first = await connector.createSession(token, input, key)
    const again = await connector.createSession(token, input, key)
    const afterRestart = await new HttpPortalConnector({ baseUrl: simulator.url }).createSession(token, input, key)
    assert.equal(again.id, first.id)
    assert.equal(afterRestart.id, first.id)
    assert.equal(simulator.sessions().filter((session) => session.examCode === 'IDEMP').length, 1)
    assert.equal(simulator.requests().filter((request) => request.idempotencyKey === key).length, 3)

    await assert.rejects(
      connector.createSession(token, { ...input, seats: 99 }, key),
      (error) => error instanceof PortalRequestError && error.code === 'idempotency_key_reused',
    )
    await connector.logout(token)
  })
})

describe('token expiry', () => {
  it('an expired token gives PortalAuthError token_expired, and can still be logged out', async () => {
    const { token, expiresAt } = await connector.login(PROCTOR.username, PROCTOR.password)
    clock.advance(expiresAt.getTime() - clock.now().getTime() + 1000)
    await assert.rejects(connector.listSessions(token), (error) => error instanceof PortalAuthError && error.code === 'token_expired')
    assert.ok(simulator.tokens().expired.includes(token))
    await connector.logout(token)
    assert.ok(simulator.tokens().loggedOut.includes(token))
  })
})

describe('portal rules', () => {
  it('a bulk create dry run names the rule each bad row breaks and sends only the good rows', async () => {
    const login = await connector.login(PROCTOR.username, PROCTOR.password)
    const rows = [
      { key: newKey(), session: newSession(2), expected: [] },
      { key: newKey(), session: newSession(0.5), expected: ['create_min_lead_time'] },
      { key: newKey(), session: newSession(31 * 24), expected: ['create_max_horizon'] },
      { key: newKey(), session: newSession(29 * 24), expected: [] },
    ]
    for (const row of rows) {
      const violations = findRuleViolations(connector.rules, 'create', row.session, clock.now(), login.actor)
      assert.deepEqual(
        violations.map((violation) => violation.rule),
        row.expected,
      )
      if (violations.length === 0) await connector.createSession(login.token, row.session, row.key)
    }
    const sentKeys = new Set(simulator.requests().map((request) => request.idempotencyKey))
    assert.deepEqual(
      rows.map((row) => sentKeys.has(row.key)),
      [true, false, false, true],
    )
    await connector.logout(login.token)
  })

  it('confirm and cancel dry runs catch the window, the proctor and the lead time; nothing is sent for those rows', async () => {
    const proctor = await connector.login(PROCTOR.username, PROCTOR.password)
    const admin = await connector.login(ADMIN.username, ADMIN.password)
    const inTwoHours = await connector.createSession(proctor.token, newSession(2), newKey())
    const inTwoDays = await connector.createSession(proctor.token, newSession(48), newKey())
    const now = clock.now()
    const check = (action: 'confirm' | 'cancel', session: typeof inTwoHours, actor = proctor.actor) =>
      findRuleViolations(connector.rules, action, session, now, actor).map((violation) => violation.rule)
    assert.deepEqual(check('confirm', inTwoDays), ['confirm_window'])
    assert.deepEqual(check('confirm', inTwoHours, admin.actor), ['confirm_by_proctor'])
    assert.deepEqual(check('confirm', inTwoHours), [])
    assert.deepEqual(check('cancel', inTwoDays), [])
    clock.advance(1.5 * HOUR_MS)
    assert.deepEqual(
      findRuleViolations(connector.rules, 'cancel', inTwoHours, clock.now(), proctor.actor).map((violation) => violation.rule),
      ['cancel_min_lead_time'],
    )
    const sentPaths = simulator.requests().map((request) => request.path)
    assert.ok(!sentPaths.some((path) => path.includes(inTwoHours.id) || path.includes(inTwoDays.id)))
    await connector.logout(proctor.token)
    await connector.logout(admin.token)
  })

  it('the simulator enforces every rule and the connector reports which one', async () => {
    const proctor = await connector.login(PROCTOR.username, PROCTOR.password)
    const admin = await connector.login(ADMIN.username, ADMIN.password)
    const isRule = (rule: string) => (error: unknown) => error instanceof PortalRuleError && error.rule === rule && error.status === 409
    await assert.rejects(connector.createSession(proctor.token, newSession(0.5), newKey()), isRule('create_min_lead_time'))
    await assert.rejects(connector.createSession(proctor.token, newSession(31 * 24), newKey()), isRule('create_max_horizon'))
    const inTwoHours = await connector.createSession(proctor.token, newSession(2), newKey())
    const inTwoDays = await connector.createSession(proctor.token, newSession(48), newKey())
    await assert.rejects(connector.confirmSession(proctor.token, inTwoDays.id), isRule('confirm_window'))
    await assert.rejects(connector.confirmSession(admin.token, inTwoHours.id), isRule('confirm_by_proctor'))
    clock.advance(1.5 * HOUR_MS)
    await assert.rejects(connector.cancelSession(proctor.token, inTwoHours.id, 'Too late'), isRule('cancel_min_lead_time'))
    assert.equal(simulator.sessions().find((session) => session.id === inTwoHours.id)?.status, 'scheduled')
    await connector.logout(proctor.token)
    await connector.logout(admin.token)
  })

  it('a session changed directly on the simulator shows the change to the connector', async () => {
    const { token } = await connector.login(PROCTOR.username, PROCTOR.password)
    const session = await connector.createSession(token, newSession(8), newKey())
    const movedTo = inHours(9)
    simulator.changeSession(session.id, { seats: 3, startsAt: movedTo })
    const drifted = await connector.getSession(token, session.id)
    assert.deepEqual([drifted.seats, drifted.startsAt], [3, movedTo])
    await connector.logout(token)
  })
})
