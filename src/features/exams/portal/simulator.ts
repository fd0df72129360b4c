/**
 * An in-memory testing portal speaking the protocol of docs/portal-protocol.md on its own HTTP server,
 * with knobs for latency, failures, rate limit and token lifetime. Tests and `npm run portal-sim` use
 * it; it also records every request and every token so tests can check what the connector did.
 */
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Clock, systemClock } from '../../../platform/clock.ts'
import { newId, newSecret } from '../../../platform/ids.ts'
import { findRuleViolations, type PortalAction, type PortalActor, type PortalSession } from './connector.ts'
import { PORTAL_RULES, type ProblemJson, sessionToJson } from './protocol.ts'
import { TokenBucket } from './token-bucket.ts'

export interface PortalAccount {
  username: string
  password: string
  /** The proctor this account is; only a session's proctor may confirm it. */
  proctorId: string | null
}

export interface PortalSimulatorOptions {
  accounts: PortalAccount[]
  /** 0 (default) picks a free port. */
  port?: number
  host?: string
  /** Added before every answer. */
  latencyMs?: number
  /** Fraction of requests (0 to 1) answered 503 without being processed. */
  failureRate?: number
  /** Requests per second over all clients (a bucket holding one second's worth); beyond it, 429 with Retry-After. Null: no limit. */
  rateLimit?: number | null
  tokenLifetimeSeconds?: number
  /** Drives token expiry and the rules, so tests can move time. */
  clock?: Clock
}

export interface RecordedRequest {
  at: Date
  method: string
  /** Path and query string. */
  path: string
  idempotencyKey: string | null
  status: number
  /** The problem code of an error answer. */
  code: string | null
}

export interface SimulatorTokens {
  live: string[]
  loggedOut: string[]
  expired: string[]
}

interface Answer {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

interface TokenState {
  account: PortalAccount
  expiresAt: Date
  isLoggedOut: boolean
}

const MAX_BODY_BYTES = 64 * 1024
const MAX_PAGE_SIZE = 100

class ProblemAnswer extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly extra: Partial<ProblemJson> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail)
  }
}

const PROBLEM_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
}

export class PortalSimulator {
  readonly url: string
  private readonly sessionsById = new Map<string, PortalSession>()
  /** `username idempotency-key` → the session it created and a fingerprint of the body that created it. */
  private readonly idempotency = new Map<string, { sessionId: string; fingerprint: string }>()
  private readonly tokenStates = new Map<string, TokenState>()
  private readonly recorded: RecordedRequest[] = []
  private readonly limiter: TokenBucket | null
  private readonly clock: Clock
  /** Path (or `*` for any) → how many more requests to it are answered 503. */
  private readonly failuresToForce = new Map<string, number>()
  private held: { path: string; passes: number; waiting: number; release: () => void; released: Promise<void> } | null = null

  private constructor(
    private readonly server: ReturnType<typeof createServer>,
    private readonly options: PortalSimulatorOptions,
  ) {
    const address = server.address() as AddressInfo
    this.url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
    this.limiter = options.rateLimit ? new TokenBucket(options.rateLimit, options.rateLimit) : null
    this.clock = options.clock ?? systemClock
  }

  static async start(options: PortalSimulatorOptions): Promise<PortalSimulator> {
    let simulator: PortalSimulator | undefined
    const server = createServer((request, response) => {
      simulator?.serve(request, response).catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : undefined)
      })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve)
    })
    simulator = new PortalSimulator(server, options)
    return simulator
  }

  async close(): Promise<void> {
    this.release()
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    await closed
  }

  tokens(): SimulatorTokens {
    const now = this.clock.now()
    const tokens: SimulatorTokens = { live: [], loggedOut: [], expired: [] }
    for (const [token, state] of this.tokenStates) {
      if (state.isLoggedOut) tokens.loggedOut.push(token)
      else if (state.expiresAt <= now) tokens.expired.push(token)
      else tokens.live.push(token)
    }
    return tokens
  }

  requests(): RecordedRequest[] {
    return [...this.recorded]
  }

  sessions(): PortalSession[] {
    return [...this.sessionsById.values()].map((session) => ({ ...session }))
  }

  /** Changes a session behind the connector's back, as a person editing it in the portal would. */
  changeSession(sessionId: string, changes: Partial<Omit<PortalSession, 'id'>>): PortalSession {
    const session = this.sessionsById.get(sessionId)
    if (!session) throw new Error(`No portal session ${sessionId}.`)
    Object.assign(session, changes, { updatedAt: this.clock.now() })
    return { ...session }
  }

  /** Answers the next `count` requests (to `path` only, when given) with 503, whatever the failure rate. */
  failNext(count: number, path = '*'): void {
    this.failuresToForce.set(path, count)
  }

  /**
   * Lets `passes` more requests to `path` through, then holds the next ones unprocessed and unanswered
   * until `release()`, as a portal stalling would: tests stop or kill a client at a known point.
   */
  hold(path: string, passes = 0): void {
    this.release()
    let release = () => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    this.held = { path, passes, waiting: 0, release, released }
  }

  /** How many requests wait for `release()`. */
  waiting(): number {
    return this.held?.waiting ?? 0
  }

  /** Processes the held requests (a client that went away meanwhile gets no answer) and holds no more. */
  release(): void {
    this.held?.release()
    this.held = null
  }

  private isForcedFailure(path: string): boolean {
    for (const key of [path, '*']) {
      const count = this.failuresToForce.get(key) ?? 0
      if (count > 0) {
        this.failuresToForce.set(key, count - 1)
        return true
      }
    }
    return false
  }

  private async waitIfHeld(path: string): Promise<void> {
    const held = this.held
    if (held?.path !== path) return
    if (held.passes > 0) {
      held.passes--
      return
    }
    held.waiting++
    await held.released
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://portal')
    const idempotencyKey = headerOf(request, 'idempotency-key')
    const waitMs = this.limiter?.tryTake() ?? 0
    let answer: Answer
    try {
      const body = await readBody(request)
      if (this.options.latencyMs) await sleep(this.options.latencyMs)
      if (waitMs > 0) {
        const retryAfter = String(Math.ceil(waitMs / 1000))
        throw new ProblemAnswer(429, 'rate_limited', `Too many requests; retry after ${retryAfter} s.`, {}, { 'retry-after': retryAfter })
      }
      await this.waitIfHeld(url.pathname)
      if (this.isForcedFailure(url.pathname) || Math.random() < (this.options.failureRate ?? 0)) {
        throw new ProblemAnswer(503, 'unavailable', 'The portal is temporarily unavailable; retry later.')
      }
      answer = this.route(request, url, body, idempotencyKey)
    } catch (error) {
      if (!(error instanceof ProblemAnswer)) throw error
      const problem: ProblemJson = {
        type: `urn:testing-portal:problem:${error.code}`,
        title: PROBLEM_TITLES[error.status] ?? 'Error',
        status: error.status,
        detail: error.detail,
        code: error.code,
        ...error.extra,
      }
      answer = { status: error.status, body: problem, headers: { 'content-type': 'application/problem+json', ...error.headers } }
    }
    this.recorded.push({
      at: this.clock.now(),
      method: request.method ?? '',
      path: url.pathname + url.search,
      idempotencyKey,
      status: answer.status,
      code: answer.status >= 400 ? ((answer.body as ProblemJson).code ?? null) : null,
    })
    const headers: Record<string, string> = { ...answer.headers }
    if (answer.body !== undefined) headers['content-type'] ??= 'application/json'
    response.writeHead(answer.status, headers)
    response.end(answer.body === undefined ? undefined : JSON.stringify(answer.body))
  }

  private route(request: IncomingMessage, url: URL, body: string, idempotencyKey: string | null): Answer {
    const method = request.method ?? ''
    const path = url.pathname
    if (path === '/login') return only(method, 'POST', () => this.login(request, body))
    if (path === '/logout') return only(method, 'POST', () => this.logout(request))
    if (path === '/sessions') {
      if (method === 'GET') return this.listSessions(this.authenticate(request), url)
      return only(method, 'POST', () => this.createSession(this.authenticate(request), body, idempotencyKey))
    }
    const match = /^\/sessions\/([^/]+)(?:\/(confirm|cancel))?$/.exec(path)
    if (!match) throw new ProblemAnswer(404, 'not_found', `There is no resource at ${path}.`)
    const sessionId = decodeURIComponent(match[1] ?? '')
    if (match[2] === 'confirm') return only(method, 'POST', () => this.confirmSession(this.authenticate(request), sessionId))
    if (match[2] === 'cancel') return only(method, 'POST', () => this.cancelSession(this.authenticate(request), sessionId, body))
    return only(method, 'GET', () => {
      this.authenticate(request)
      return { status: 200, body: sessionToJson(this.findSession(sessionId)) }
    })
  }

  private login(request: IncomingMessage, body: string): Answer {
    if (!headerOf(request, 'content-type')?.startsWith('application/x-www-form-urlencoded')) {
      throw new ProblemAnswer(400, 'malformed_request', 'Send the username and password as application/x-www-form-urlencoded.')
    }
    const form = new URLSearchParams(body)
    const account = this.options.accounts.find((candidate) => candidate.username === form.get('username') && candidate.password === form.get('password'))
    if (!account) throw new ProblemAnswer(401, 'invalid_credentials', 'Wrong username or password.')
    const token = newSecret()
    const expiresAt = new Date(this.clock.now().getTime() + (this.options.tokenLifetimeSeconds ?? 3600) * 1000)
    this.tokenStates.set(token, { account, expiresAt, isLoggedOut: false })
    return { status: 200, body: { token, expiresAt: expiresAt.toISOString(), proctorId: account.proctorId } }
  }

  private logout(request: IncomingMessage): Answer {
    const state = this.tokenStateOf(request)
    state.isLoggedOut = true
    return { status: 204 }
  }

  private tokenStateOf(request: IncomingMessage): TokenState {
    const token = /^Bearer (\S+)$/.exec(headerOf(request, 'authorization') ?? '')?.[1]
    if (!token) throw new ProblemAnswer(401, 'token_missing', 'Send the token from POST /login as "Authorization: Bearer <token>".')
    const state = this.tokenStates.get(token)
    if (!state || state.isLoggedOut) throw new ProblemAnswer(401, 'token_invalid', 'The token is unknown or was logged out; log in again.')
    return state
  }

  private authenticate(request: IncomingMessage): PortalActor {
    const state = this.tokenStateOf(request)
    if (state.expiresAt <= this.clock.now()) throw new ProblemAnswer(401, 'token_expired', 'The token has expired; log in again.')
    return { username: state.account.username, proctorId: state.account.proctorId }
  }

  private listSessions(_actor: PortalActor, url: URL): Answer {
    const errors: FieldErrors = []
    const from = optionalDate(url.searchParams.get('from'), 'from', errors)
    const to = optionalDate(url.searchParams.get('to'), 'to', errors)
    const page = optionalInteger(url.searchParams.get('page'), 'page', 1, Number.MAX_SAFE_INTEGER, errors) ?? 1
    const pageSize = optionalInteger(url.searchParams.get('pageSize'), 'pageSize', 1, MAX_PAGE_SIZE, errors) ?? 50
    if (errors.length > 0) throw invalid(errors)
    const matching = [...this.sessionsById.values()]
      .filter((session) => (!from || session.startsAt >= from) && (!to || session.startsAt < to))
      .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.id.localeCompare(b.id))
    const items = matching.slice((page - 1) * pageSize, page * pageSize).map(sessionToJson)
    return { status: 200, body: { items, page, pageSize, total: matching.length } }
  }

  private createSession(actor: PortalActor, body: string, idempotencyKey: string | null): Answer {
    if (!idempotencyKey || idempotencyKey.length > 255) {
      throw new ProblemAnswer(400, 'idempotency_key_required', 'Send an Idempotency-Key header of 1 to 255 characters with every create.')
    }
    const input = parseJsonObject(body)
    const fingerprint = createHash('sha256')
      .update(JSON.stringify(Object.entries(input).sort()))
      .digest('hex')
    const slot = `${actor.username} ${idempotencyKey}`
    const earlier = this.idempotency.get(slot)
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) {
        throw new ProblemAnswer(409, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different request.')
      }
      return { status: 200, body: sessionToJson(this.findSession(earlier.sessionId)), headers: { 'idempotent-replayed': 'true' } }
    }

    const errors: FieldErrors = []
    const text = (field: string) => {
      const value = input[field]
      if (typeof value !== 'string' || value.trim() === '' || value.length > 64) errors.push({ field, message: 'Give a text of 1 to 64 characters.' })
      return typeof value === 'string' ? value.trim() : ''
    }
    const examCode = text('examCode')
    const centreCode = text('centreCode')
    const proctorId = text('proctorId')
    const startsAt = requiredDate(input.startsAt, 'startsAt', errors)
    const endsAt = requiredDate(input.endsAt, 'endsAt', errors)
    if (startsAt && endsAt && endsAt <= startsAt) errors.push({ field: 'endsAt', message: 'The end must be after the start.' })
    const seats = input.seats
    if (typeof seats !== 'number' || !Number.isInteger(seats) || seats < 1 || seats > 500)
      errors.push({ field: 'seats', message: 'Give a whole number from 1 to 500.' })
    if (errors.length > 0 || !startsAt || !endsAt || typeof seats !== 'number') throw invalid(errors)

    this.enforceRules('create', { startsAt, proctorId }, actor)
    const now = this.clock.now()
    const session: PortalSession = {
      id: newId('ps'),
      examCode,
      centreCode,
      proctorId,
      startsAt,
      endsAt,
      seats,
      status: 'scheduled',
      cancelReason: null,
      createdAt: now,
      updatedAt: now,
    }
    this.sessionsById.set(session.id, session)
    this.idempotency.set(slot, { sessionId: session.id, fingerprint })
    return { status: 201, body: sessionToJson(session), headers: { location: `/sessions/${session.id}` } }
  }

  private confirmSession(actor: PortalActor, sessionId: string): Answer {
    const session = this.findSession(sessionId)
    if (session.status === 'cancelled') throw new ProblemAnswer(409, 'invalid_state', 'A cancelled session cannot be confirmed.')
    if (session.status === 'scheduled') {
      this.enforceRules('confirm', session, actor)
      Object.assign(session, { status: 'confirmed', updatedAt: this.clock.now() })
    }
    return { status: 200, body: sessionToJson(session) }
  }

  private cancelSession(actor: PortalActor, sessionId: string, body: string): Answer {
    const session = this.findSession(sessionId)
    if (session.status !== 'cancelled') {
      const reason = parseJsonObject(body).reason
      if (typeof reason !== 'string' || reason.trim() === '' || reason.length > 500) {
        throw invalid([{ field: 'reason', message: 'Give the reason for cancelling, 1 to 500 characters.' }])
      }
      this.enforceRules('cancel', session, actor)
      Object.assign(session, { status: 'cancelled', cancelReason: reason.trim(), updatedAt: this.clock.now() })
    }
    return { status: 200, body: sessionToJson(session) }
  }

  private findSession(sessionId: string): PortalSession {
    const session = this.sessionsById.get(sessionId)
    if (!session) throw new ProblemAnswer(404, 'session_not_found', `No session ${sessionId}.`)
    return session
  }

  private enforceRules(action: PortalAction, session: Pick<PortalSession, 'startsAt' | 'proctorId'>, actor: PortalActor): void {
    const [violation] = findRuleViolations(PORTAL_RULES, action, session, this.clock.now(), actor)
    if (violation) throw new ProblemAnswer(409, 'rule_violation', violation.message, { rule: violation.rule })
  }
}

type FieldErrors = { field: string; message: string }[]

function only(method: string, allowed: string, answer: () => Answer): Answer {
  if (method !== allowed) throw new ProblemAnswer(405, 'method_not_allowed', `Use ${allowed} here.`, {}, { allow: allowed })
  return answer()
}

function headerOf(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name]
  return typeof value === 'string' ? value : null
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new ProblemAnswer(413, 'body_too_large', `Send at most ${MAX_BODY_BYTES} bytes.`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function parseJsonObject(body: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body)
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>
  } catch {}
  throw new ProblemAnswer(400, 'malformed_request', 'Send a JSON object as the request body.')
}

function invalid(errors: FieldErrors): ProblemAnswer {
  return new ProblemAnswer(422, 'validation_failed', 'Some fields are invalid.', { errors })
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/

function requiredDate(value: unknown, field: string, errors: FieldErrors): Date | null {
  const date = typeof value === 'string' && ISO_INSTANT.test(value) ? new Date(value) : null
  if (!date || Number.isNaN(date.getTime())) {
    errors.push({ field, message: 'Give an RFC 3339 date-time with its offset, such as 2026-05-04T09:00:00Z.' })
    return null
  }
  return date
}

function optionalDate(value: string | null, field: string, errors: FieldErrors): Date | null {
  return value === null ? null : requiredDate(value, field, errors)
}

function optionalInteger(value: string | null, field: string, min: number, max: number, errors: FieldErrors): number | null {
  if (value === null) return null
  const number = Number(value)
  if (!/^\d+$/.test(value) || number < min || number > max) {
    errors.push({ field, message: `Give a whole number from ${min} to ${max}.` })
    return null
  }
  return number
}
