import { InvalidError } from '../../../platform/errors.ts'
import type { Platform } from '../../../platform/platform.ts'
import { type OrgScope, requireRole } from '../../orgs/service.ts'
import { type ExamSessionView, getExamSessionView, listExamSessionsAtPortal } from '../sessions/sessions.ts'
import { applyPortalAction, auditedPortalCall, checkPortalAction, type PortalTarget } from './actions.ts'
import {
  findRuleViolations,
  PortalAuthError,
  type PortalError,
  PortalRuleError,
  type PortalRuleViolation,
  type PortalSession,
  PortalUnavailableError,
  PortalValidationError,
} from './connector.ts'
import type { PortalAccess } from './interactive.ts'

/*
 * Single actions at the portal in real time (interactive mode): what the portal page and the exam
 * session page send. Each is checked against Laurel's state and the portal's rules first, so a
 * refused action sends nothing; what is sent goes through applyPortalAction when a Laurel exam
 * session is linked, and is audited here otherwise.
 */

/** Words for a portal refusal or failure, fit for a flash message: never a stack trace, never a secret. */
export function portalErrorMessage(error: PortalError): string {
  if (error instanceof PortalUnavailableError) return `The testing portal cannot be reached right now (${error.message}). Nothing was changed; try again later.`
  if (error instanceof PortalAuthError) return 'The testing portal no longer accepts this connection; connect again.'
  if (error instanceof PortalRuleError) return `The testing portal refused: ${error.message}`
  if (error instanceof PortalValidationError) {
    const fields = Object.entries(error.fields).map(([field, problem]) => `${field}: ${problem}`)
    return `The testing portal refused the request: ${[error.message, ...fields].join(' ')}`
  }
  return `The testing portal refused: ${error.message}`
}

/** Throws the rules' own words when `violations` is not empty, so nothing is sent. */
export function refuseViolations(violations: PortalRuleViolation[]): void {
  if (violations.length === 0) return
  throw new InvalidError('portal_rule', `Not sent to the portal: ${violations.map((violation) => violation.message).join(' ')}`)
}

const reasonOf = (reason: string) => {
  const trimmed = reason.trim()
  if (trimmed.length < 3 || trimmed.length > 500) {
    throw new InvalidError('reason_required', 'Give a reason for cancelling (3 to 500 characters).', { reason: 'Give a reason (3 to 500 characters).' })
  }
  return trimmed
}

/** Confirms or cancels at the portal a session that no Laurel exam session links to. */
export async function applyUnlinkedPortalAction(
  platform: Platform,
  scope: OrgScope,
  portal: PortalTarget & Pick<PortalAccess, 'actor'>,
  action: 'confirm' | 'cancel',
  portalSessionId: string,
  reason = '',
): Promise<PortalSession> {
  requireRole(scope, 'staff')
  const why = action === 'cancel' ? reasonOf(reason) : ''
  const what = { action, target: portalSessionId }
  const session = await auditedPortalCall(platform, scope, what, () => portal.connector.getSession(portal.token, portalSessionId))
  refuseViolations(findRuleViolations(portal.connector.rules, action, session, platform.clock.now(), portal.actor))
  const result = await auditedPortalCall(platform, scope, what, () =>
    action === 'confirm' ? portal.connector.confirmSession(portal.token, portalSessionId) : portal.connector.cancelSession(portal.token, portalSessionId, why),
  )
  await platform.audit.recordIn(platform.db, {
    action: `exams.portal_session_${action === 'confirm' ? 'confirmed' : 'cancelled'}`,
    orgId: scope.orgId,
    actorAccountId: scope.accountId,
    target: portalSessionId,
    data: { portalSessionId, linked: false },
  })
  return result
}

/** Sends `action` for a linked Laurel exam session after checking it; the rules' words stop it before sending. */
export async function applyCheckedPortalAction(
  platform: Platform,
  scope: OrgScope,
  access: PortalAccess,
  action: 'create' | 'confirm' | 'cancel',
  session: ExamSessionView,
  reason = '',
): Promise<PortalSession> {
  requireRole(scope, 'staff')
  const why = action === 'cancel' ? reasonOf(reason) : ''
  refuseViolations(checkPortalAction(access.connector.rules, action, session, platform.clock.now(), access.actor))
  return applyPortalAction(platform, scope, access, action, session, why)
}

/** Confirms or cancels a portal session live, mirrored in the Laurel exam session that links to it, if any. */
export async function livePortalAction(
  platform: Platform,
  scope: OrgScope,
  access: PortalAccess,
  action: 'confirm' | 'cancel',
  portalSessionId: string,
  reason = '',
): Promise<PortalSession> {
  const [linked] = await listExamSessionsAtPortal(platform.db, scope, [portalSessionId])
  if (linked) return applyCheckedPortalAction(platform, scope, access, action, linked, reason)
  return applyUnlinkedPortalAction(platform, scope, access, action, portalSessionId, reason)
}

/** Creates a Laurel exam session at the portal and links it. */
export async function createAtPortal(platform: Platform, scope: OrgScope, access: PortalAccess, examSessionId: string): Promise<PortalSession> {
  const session = await getExamSessionView(platform.db, scope, examSessionId)
  return applyCheckedPortalAction(platform, scope, access, 'create', session)
}
