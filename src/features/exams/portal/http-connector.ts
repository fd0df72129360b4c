import { setTimeout as sleep } from 'node:timers/promises'
import {
  type NewPortalSession,
  PortalAuthError,
  type PortalConnector,
  type PortalError,
  type PortalLogin,
  PortalRequestError,
  PortalRuleError,
  type PortalSession,
  type PortalSessionPage,
  type PortalSessionQuery,
  PortalUnavailableError,
  PortalValidationError,
} from './connector.ts'
import { PORTAL_RULES, type ProblemJson, type SessionJson, sessionFromJson } from './protocol.ts'
import { TokenBucket } from './token-bucket.ts'

export interface HttpPortalConnectorOptions {
  /** The portal's base URL; paths of the protocol are resolved against it. */
  baseUrl: string
  /** Client-side limit, so a bulk run stays under the portal's own limit instead of collecting 429s (default 10). */
  requestsPerSecond?: number
  /** Requests that may go out at once after a quiet spell (default 1: no bursts). */
  burst?: number
  /** Attempts per request, the first included, before giving up with PortalUnavailableError (default 5). */
  maxAttempts?: number
  /** First backoff step for 5xx and network errors; it doubles each attempt, with full jitter (default 250). */
  baseDelayMs?: number
  maxDelayMs?: number
  /** A 429 asking to wait longer than this fails at once rather than stalling (default 60). */
  maxRetryAfterSeconds?: number
  /** Per attempt (default 30 s). */
  timeoutMs?: number
  /** Told about each retry; gets the method, path, status and delay, never a token or password. */
  log?: { warn(data: object, message: string): void }
}

const TRANSIENT_STATUSES = new Set([502, 503, 504])

interface Attempted {
  response: Response | null
  failure: string | null
}

/** A PortalConnector for the protocol in docs/portal-protocol.md, over fetch. */
export class HttpPortalConnector implements PortalConnector {
  readonly rules = PORTAL_RULES
  private readonly limiter: TokenBucket
  private readonly options: Required<Omit<HttpPortalConnectorOptions, 'log'>> & Pick<HttpPortalConnectorOptions, 'log'>

  constructor(options: HttpPortalConnectorOptions) {
    this.options = {
      requestsPerSecond: 10,
      burst: 1,
      maxAttempts: 5,
      baseDelayMs: 250,
      maxDelayMs: 10_000,
      maxRetryAfterSeconds: 60,
      timeoutMs: 30_000,
      ...options,
    }
    this.limiter = new TokenBucket(this.options.requestsPerSecond, this.options.burst)
  }

  async login(username: string, password: string): Promise<PortalLogin> {
    const body = await this.request<{ token: string; expiresAt: string; proctorId: string | null }>('POST', '/login', {
      body: new URLSearchParams({ username, password }),
    })
    return { token: body.token, expiresAt: new Date(body.expiresAt), actor: { username, proctorId: body.proctorId } }
  }

  async logout(token: string): Promise<void> {
    await this.request('POST', '/logout', { token })
  }

  async listSessions(token: string, query: PortalSessionQuery = {}): Promise<PortalSessionPage> {
    const search = new URLSearchParams()
    if (query.from) search.set('from', query.from.toISOString())
    if (query.to) search.set('to', query.to.toISOString())
    if (query.page !== undefined) search.set('page', String(query.page))
    if (query.pageSize !== undefined) search.set('pageSize', String(query.pageSize))
    const page = await this.request<Omit<PortalSessionPage, 'items'> & { items: SessionJson[] }>('GET', `/sessions?${search}`, { token })
    return { ...page, items: page.items.map(sessionFromJson) }
  }

  async getSession(token: string, sessionId: string): Promise<PortalSession> {
    return sessionFromJson(await this.request<SessionJson>('GET', `/sessions/${encodeURIComponent(sessionId)}`, { token }))
  }

  async createSession(token: string, session: NewPortalSession, idempotencyKey: string): Promise<PortalSession> {
    const body = { ...session, startsAt: session.startsAt.toISOString(), endsAt: session.endsAt.toISOString() }
    return sessionFromJson(await this.request<SessionJson>('POST', '/sessions', { token, body: JSON.stringify(body), idempotencyKey }))
  }

  async confirmSession(token: string, sessionId: string): Promise<PortalSession> {
    return sessionFromJson(await this.request<SessionJson>('POST', `/sessions/${encodeURIComponent(sessionId)}/confirm`, { token }))
  }

  async cancelSession(token: string, sessionId: string, reason: string): Promise<PortalSession> {
    const path = `/sessions/${encodeURIComponent(sessionId)}/cancel`
    return sessionFromJson(await this.request<SessionJson>('POST', path, { token, body: JSON.stringify({ reason }) }))
  }

  /** Sends one protocol request, retrying 429, transient 5xx and network errors; every other answer is final. */
  private async request<T>(
    method: string,
    path: string,
    { token, body, idempotencyKey }: { token?: string; body?: string | URLSearchParams; idempotencyKey?: string },
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (token !== undefined) headers.authorization = `Bearer ${token}`
    if (typeof body === 'string') headers['content-type'] = 'application/json'
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey
    const url = new URL(path.slice(1), this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`)
    const routeName = `${method} ${url.pathname}`

    for (let attempt = 1; ; attempt++) {
      await this.limiter.take()
      const { response, failure } = await this.attempt(url, { method, headers, body })
      if (response?.ok) return (response.status === 204 ? undefined : await response.json()) as T

      const status = response?.status ?? null
      const isTransient = response === null || TRANSIENT_STATUSES.has(response.status)
      if (response !== null && !isTransient && response.status !== 429) throw await errorFromResponse(response)

      const reason = response === null ? `the portal could not be reached (${failure})` : `the portal answered ${response.status}`
      let delayMs = this.backoffMs(attempt)
      if (response?.status === 429) {
        // The protocol sends whole seconds, at least 1; anything else counts as 1.
        const retryAfterSeconds = Number(response.headers.get('retry-after')) || 1
        if (retryAfterSeconds > this.options.maxRetryAfterSeconds) {
          throw new PortalUnavailableError('rate_limited', `${routeName}: the portal asks to wait ${retryAfterSeconds} s before retrying.`, 429)
        }
        delayMs = retryAfterSeconds * 1000
      }
      await response?.body?.cancel()
      if (attempt >= this.options.maxAttempts) {
        throw new PortalUnavailableError(
          status === 429 ? 'rate_limited' : 'portal_unavailable',
          `${routeName} failed after ${attempt} attempts: ${reason}.`,
          status,
        )
      }
      this.options.log?.warn({ method, path: url.pathname, status, attempt, delayMs: Math.round(delayMs) }, 'portal request retried')
      await sleep(delayMs)
    }
  }

  private async attempt(url: URL, init: RequestInit): Promise<Attempted> {
    try {
      return { response: await fetch(url, { ...init, signal: AbortSignal.timeout(this.options.timeoutMs) }), failure: null }
    } catch (error) {
      // fetch wraps the real reason (refused, reset, timeout) in `cause`; it never contains request headers.
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error
      return { response: null, failure: cause instanceof Error ? cause.message : String(cause) }
    }
  }

  private backoffMs(attempt: number): number {
    return Math.random() * Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (attempt - 1))
  }
}

async function errorFromResponse(response: Response): Promise<PortalError> {
  const problem = (await response.json().catch(() => null)) as Partial<ProblemJson> | null
  const code = problem?.code ?? 'portal_error'
  const message = problem?.detail ?? problem?.title ?? `The portal answered ${response.status}.`
  if (response.status === 401) return new PortalAuthError(code, message, 401)
  if (code === 'rule_violation') return new PortalRuleError(problem?.rule ?? 'unknown', message, response.status)
  if (code === 'validation_failed') {
    const fields = Object.fromEntries((problem?.errors ?? []).map((error) => [error.field, error.message]))
    return new PortalValidationError(message, fields, response.status)
  }
  return new PortalRequestError(code, message, response.status)
}
