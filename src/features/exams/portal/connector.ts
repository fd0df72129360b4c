/**
 * The seam between Laurel and an external testing portal. Everything Laurel does at a portal goes
 * through a `PortalConnector`; a connector for a real vendor implements this interface, throws the
 * errors below, and declares that portal's rules so a bulk run can check rows before sending them.
 * docs/portal-protocol.md describes the protocol that `HttpPortalConnector` speaks.
 */

export type PortalSessionStatus = 'scheduled' | 'confirmed' | 'cancelled'

/** An exam session as the portal holds it. */
export interface PortalSession {
  id: string
  examCode: string
  centreCode: string
  proctorId: string
  startsAt: Date
  endsAt: Date
  seats: number
  status: PortalSessionStatus
  cancelReason: string | null
  createdAt: Date
  updatedAt: Date
}

export type NewPortalSession = Pick<PortalSession, 'examCode' | 'centreCode' | 'proctorId' | 'startsAt' | 'endsAt' | 'seats'>

/** Who acts at the portal: the signed-in portal account, and the proctor it is (null when it is not a proctor). */
export interface PortalActor {
  username: string
  proctorId: string | null
}

/** A portal token; it stops working at `expiresAt` or at logout. Treat `token` as a secret. */
export interface PortalLogin {
  token: string
  expiresAt: Date
  actor: PortalActor
}

export interface PortalSessionQuery {
  /** Sessions starting at or after this instant. */
  from?: Date
  /** Sessions starting before this instant. */
  to?: Date
  /** 1-based. */
  page?: number
  pageSize?: number
}

export interface PortalSessionPage {
  items: PortalSession[]
  page: number
  pageSize: number
  total: number
}

export type PortalAction = 'create' | 'confirm' | 'cancel'

/** What a rule looks at: the new session for `create`, the existing one for `confirm` and `cancel`. */
export type PortalRuleSubject = Pick<PortalSession, 'startsAt' | 'proctorId'>

/** A rule the portal enforces, declared so callers can check a request before sending it. */
export interface PortalRule {
  id: string
  description: string
  /** The violation message when `actor` may not do `action` on `session` at `now`, otherwise null. */
  check(action: PortalAction, session: PortalRuleSubject, now: Date, actor: PortalActor): string | null
}

export interface PortalRuleViolation {
  rule: string
  message: string
}

export function findRuleViolations(
  rules: readonly PortalRule[],
  action: PortalAction,
  session: PortalRuleSubject,
  now: Date,
  actor: PortalActor,
): PortalRuleViolation[] {
  const violations: PortalRuleViolation[] = []
  for (const rule of rules) {
    const message = rule.check(action, session, now, actor)
    if (message !== null) violations.push({ rule: rule.id, message })
  }
  return violations
}

/**
 * Every method takes the token from `login`, never a password, so a batch job can run with a token
 * alone. `createSession`, `confirmSession` and `cancelSession` are safe to retry: the same
 * idempotency key never creates a second session, and confirming or cancelling twice changes nothing.
 */
export interface PortalConnector {
  readonly rules: readonly PortalRule[]
  /** @throws PortalAuthError `invalid_credentials` */
  login(username: string, password: string): Promise<PortalLogin>
  /** Ends the token at the portal; logging out an already expired token also succeeds. */
  logout(token: string): Promise<void>
  listSessions(token: string, query?: PortalSessionQuery): Promise<PortalSessionPage>
  getSession(token: string, sessionId: string): Promise<PortalSession>
  /** @throws PortalRuleError, PortalValidationError, PortalRequestError `idempotency_key_reused` */
  createSession(token: string, session: NewPortalSession, idempotencyKey: string): Promise<PortalSession>
  /** @throws PortalRuleError, PortalRequestError `session_not_found` or `invalid_state` (cancelled) */
  confirmSession(token: string, sessionId: string): Promise<PortalSession>
  /** @throws PortalRuleError, PortalValidationError (empty reason), PortalRequestError `session_not_found` */
  cancelSession(token: string, sessionId: string, reason: string): Promise<PortalSession>
}

/** Any refusal or failure at the portal. `code` is the portal's machine code; messages never hold secrets. */
export class PortalError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number | null = null,
  ) {
    super(message)
  }
}

/** Wrong username or password (`invalid_credentials`), or a token that expired (`token_expired`) or is unknown or logged out (`token_invalid`). */
export class PortalAuthError extends PortalError {}

/** The portal refused the action under one of its rules; `rule` is the rule's id. */
export class PortalRuleError extends PortalError {
  constructor(
    readonly rule: string,
    message: string,
    status: number | null = null,
  ) {
    super('rule_violation', message, status)
  }
}

/** The request had invalid fields; `fields` maps each field to what is wrong with it. */
export class PortalValidationError extends PortalError {
  constructor(
    message: string,
    readonly fields: Record<string, string>,
    status: number | null = null,
  ) {
    super('validation_failed', message, status)
  }
}

/** The portal could not be reached, kept failing, or kept rate-limiting after every allowed attempt. */
export class PortalUnavailableError extends PortalError {}

/** Any other refusal: a session that does not exist, a state that does not allow the action, a reused idempotency key. */
export class PortalRequestError extends PortalError {}
