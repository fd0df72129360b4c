import { and, eq, isNull } from 'drizzle-orm'
import type { Platform } from '../../../platform/platform.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { examSessions } from '../schema.ts'
import { cancelExamSessions, confirmExamSessions, type ExamSessionView } from '../sessions/sessions.ts'
import {
  findRuleViolations,
  type PortalAction,
  type PortalActor,
  type PortalConnector,
  PortalError,
  PortalRuleError,
  type PortalRuleViolation,
  type PortalSession,
} from './connector.ts'

/*
 * One action on one exam session at the org's portal, mirrored in Laurel. Live actions (interactive
 * mode) and batch runs both go through here, so they check, send, link and audit the same way.
 */

/** Stable per exam session: creating it at the portal again, by any run or click, returns the same portal session. */
export const portalIdempotencyKey = (examSessionId: string) => `laurel-${examSessionId}`

/** Why `action` must not be sent for `session`: Laurel's own preconditions, then the portal's declared rules. Empty when it may be sent. */
export function checkPortalAction(
  rules: PortalConnector['rules'],
  action: PortalAction,
  session: Pick<ExamSessionView, 'status' | 'startsAt' | 'portalSessionId' | 'portalProctorId'>,
  now: Date,
  actor: PortalActor,
): PortalRuleViolation[] {
  // Cancelling at the portal a session already cancelled in Laurel brings the two back in line.
  const isClosed = session.status === 'completed' || (session.status === 'cancelled' && action !== 'cancel')
  if (isClosed) return [{ rule: 'laurel_session_closed', message: `The exam session is ${session.status} in Laurel.` }]
  if (action === 'create') {
    if (session.portalSessionId) return [{ rule: 'already_at_portal', message: `Already at the portal as ${session.portalSessionId}.` }]
    if (!session.portalProctorId) {
      return [{ rule: 'proctor_not_at_portal', message: 'The exam session needs a proctor with a portal proctor ID (set it on the proctor).' }]
    }
  } else if (!session.portalSessionId) {
    return [{ rule: 'not_at_portal', message: 'The exam session is not at the portal yet; create it there first.' }]
  }
  return findRuleViolations(rules, action, { startsAt: session.startsAt, proctorId: session.portalProctorId ?? '' }, now, actor)
}

export interface PortalTarget {
  connector: PortalConnector
  token: string
}

/**
 * Sends `action` for `session` to the portal, then mirrors it: links the created portal session,
 * confirms or cancels the Laurel exam session (cancelling emails its candidates). Every success and
 * every portal error is audited; errors are rethrown.
 */
export async function applyPortalAction(
  platform: Platform,
  scope: OrgScope,
  portal: PortalTarget,
  action: PortalAction,
  session: ExamSessionView,
  reason = '',
): Promise<PortalSession> {
  const result = await auditedPortalCall(platform, scope, { action, target: session.id }, () => send(portal, action, session, reason))
  if (action === 'create') {
    await platform.db
      .update(examSessions)
      .set({ portalSessionId: result.id })
      .where(and(eq(examSessions.orgId, scope.orgId), eq(examSessions.id, session.id), isNull(examSessions.portalSessionId)))
  } else if (action === 'confirm' && session.status === 'scheduled') {
    await confirmExamSessions(platform, scope, [session.id])
  } else if (action === 'cancel' && session.status !== 'cancelled') {
    await cancelExamSessions(platform, scope, [session.id], reason)
  }
  await platform.audit.recordIn(platform.db, {
    action: `exams.portal_session_${action === 'create' ? 'created' : action === 'confirm' ? 'confirmed' : 'cancelled'}`,
    orgId: scope.orgId,
    actorAccountId: scope.accountId,
    target: session.id,
    data: { portalSessionId: result.id },
  })
  return result
}

function send({ connector, token }: PortalTarget, action: PortalAction, session: ExamSessionView, reason: string): Promise<PortalSession> {
  switch (action) {
    case 'create':
      return connector.createSession(
        token,
        {
          examCode: session.examCode,
          centreCode: session.centreCode,
          proctorId: session.portalProctorId ?? '',
          startsAt: session.startsAt,
          endsAt: session.endsAt,
          seats: session.seats,
        },
        portalIdempotencyKey(session.id),
      )
    case 'confirm':
      return connector.confirmSession(token, session.portalSessionId ?? '')
    case 'cancel':
      return connector.cancelSession(token, session.portalSessionId ?? '', reason)
  }
}

/** Runs one portal request; a portal error is audited (with `what` and the target) and rethrown. */
export async function auditedPortalCall<T>(platform: Platform, scope: OrgScope, what: { action: string; target: string }, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (error instanceof PortalError) {
      await platform.audit.recordIn(platform.db, {
        action: 'exams.portal_error',
        orgId: scope.orgId,
        actorAccountId: scope.accountId,
        target: what.target,
        data: { action: what.action, code: error.code, status: error.status, ...(error instanceof PortalRuleError ? { rule: error.rule } : {}) },
      })
    }
    throw error
  }
}
