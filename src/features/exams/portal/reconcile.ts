import { and, eq, isNull } from 'drizzle-orm'
import { ConflictError, InvalidError } from '../../../platform/errors.ts'
import type { Platform } from '../../../platform/platform.ts'
import { type OrgScope, requireRole } from '../../orgs/service.ts'
import type { TestCentre } from '../catalog/catalog.ts'
import { examSessions } from '../schema.ts'
import {
  cancelExamSessions,
  confirmExamSessions,
  type ExamSessionView,
  getExamSessionView,
  listExamSessionsAtPortal,
  listExamSessionsBetween,
  rescheduleExamSession,
} from '../sessions/sessions.ts'
import { auditedPortalCall } from './actions.ts'
import { PortalRequestError, type PortalSession } from './connector.ts'
import type { PortalAccess } from './interactive.ts'
import { applyCheckedPortalAction, applyUnlinkedPortalAction } from './live.ts'

/*
 * Reconciliation: the centre's plan in Laurel next to the portal's actual sessions for the centre,
 * matched by the portal session ID Laurel keeps. Each drift comes with the fixes that resolve it;
 * a fix re-reads both sides before it acts, so a stale page cannot do the wrong thing.
 */

export const DRIFT_KINDS = ['missing_at_portal', 'extra_at_portal', 'different_time_or_seats', 'stuck_status'] as const
export type DriftKind = (typeof DRIFT_KINDS)[number]

export const FIXES = [
  'create_at_portal',
  'unlink',
  'cancel_at_portal',
  'link',
  'take_portal_time',
  'confirm_at_portal',
  'cancel_in_laurel',
  'confirm_in_laurel',
] as const
export type FixKind = (typeof FIXES)[number]

export interface Fix {
  fix: FixKind
  label: string
  examSessionId?: string
  portalSessionId?: string
  /** The fix sends a cancellation and needs a reason from the user. */
  needsReason?: boolean
}

export interface Drift {
  kind: DriftKind
  /** What differs, in words. */
  detail: string
  laurel: ExamSessionView | null
  portal: PortalSession | null
  fixes: Fix[]
}

export interface Reconciliation {
  drifts: Drift[]
  laurelCount: number
  portalCount: number
}

const PAGE_SIZE = 100
/** Stops a runaway listing: 100 pages of 100 sessions for one centre and period. */
const MAX_PAGES = 100

const isOpen = (session: ExamSessionView) => session.status === 'scheduled' || session.status === 'confirmed'
const sameInstant = (a: Date, b: Date) => a.getTime() === b.getTime()

/** Every portal session of the centre starting in [from, to), all pages. */
async function portalSessionsOf(platform: Platform, scope: OrgScope, access: PortalAccess, centreCode: string, from: Date, to: Date): Promise<PortalSession[]> {
  const sessions: PortalSession[] = []
  for (let page = 1; page <= MAX_PAGES; page += 1) {
    const result = await auditedPortalCall(platform, scope, { action: 'list', target: scope.orgId }, () =>
      access.connector.listSessions(access.token, { from, to, page, pageSize: PAGE_SIZE }),
    )
    sessions.push(...result.items)
    if (result.items.length === 0 || page * result.pageSize >= result.total) break
  }
  return sessions.filter((session) => session.centreCode === centreCode)
}

/** The portal session, or null when the portal has none with that ID. */
async function findPortalSession(platform: Platform, scope: OrgScope, access: PortalAccess, portalSessionId: string): Promise<PortalSession | null> {
  try {
    return await access.connector.getSession(access.token, portalSessionId)
  } catch (error) {
    if (error instanceof PortalRequestError && error.code === 'session_not_found') return null
    return auditedPortalCall(platform, scope, { action: 'get', target: portalSessionId }, () => Promise.reject(error))
  }
}

/** What differs between a linked pair, as drifts with their fixes. */
function compare(laurel: ExamSessionView, portal: PortalSession): Drift[] {
  const drifts: Drift[] = []
  const ids = { examSessionId: laurel.id, portalSessionId: portal.id }
  const stuck = (detail: string, fix: Fix) => drifts.push({ kind: 'stuck_status', detail, laurel, portal, fixes: [fix] })
  if (laurel.status === 'confirmed' && portal.status === 'scheduled') {
    stuck('Confirmed in Laurel, still scheduled at the portal.', { fix: 'confirm_at_portal', label: 'Confirm at the portal', ...ids })
  } else if (laurel.status === 'scheduled' && portal.status === 'confirmed') {
    stuck('Confirmed at the portal, still scheduled in Laurel.', { fix: 'confirm_in_laurel', label: 'Confirm in Laurel', ...ids })
  } else if (laurel.status === 'cancelled' && portal.status !== 'cancelled') {
    stuck(`Cancelled in Laurel, ${portal.status} at the portal.`, { fix: 'cancel_at_portal', label: 'Cancel at the portal', ...ids })
  } else if (portal.status === 'cancelled' && isOpen(laurel)) {
    stuck(`Cancelled at the portal${portal.cancelReason ? ` (${portal.cancelReason})` : ''}, ${laurel.status} in Laurel.`, {
      fix: 'cancel_in_laurel',
      label: 'Cancel in Laurel',
      ...ids,
    })
  }
  if (isOpen(laurel) && portal.status !== 'cancelled') {
    const differences = [
      sameInstant(laurel.startsAt, portal.startsAt) && sameInstant(laurel.endsAt, portal.endsAt) ? '' : 'time',
      laurel.seats === portal.seats ? '' : `seats (Laurel ${laurel.seats}, portal ${portal.seats})`,
    ].filter(Boolean)
    if (differences.length > 0) {
      drifts.push({
        kind: 'different_time_or_seats',
        detail: `Different ${differences.join(' and ')}.`,
        laurel,
        portal,
        fixes: [{ fix: 'take_portal_time', label: 'Take the portal’s time and seats into Laurel', ...ids }],
      })
    }
  }
  return drifts
}

/** Compares the centre's exam sessions starting in [from, to) in Laurel with the portal's. */
export async function reconcile(
  platform: Platform,
  scope: OrgScope,
  access: PortalAccess,
  centre: TestCentre,
  range: { from: Date; to: Date },
): Promise<Reconciliation> {
  requireRole(scope, 'staff')
  const laurelInRange = await listExamSessionsBetween(platform.db, scope, { centreId: centre.id, from: range.from, to: range.to })
  const portalInRange = await portalSessionsOf(platform, scope, access, centre.code, range.from, range.to)
  const portalById = new Map(portalInRange.map((session) => [session.id, session]))
  const laurelById = new Map(laurelInRange.map((session) => [session.id, session]))
  // Pairs where one side moved out of the period are still pairs.
  for (const session of await listExamSessionsAtPortal(
    platform.db,
    scope,
    portalInRange.map((portal) => portal.id),
  )) {
    laurelById.set(session.id, session)
  }
  const missingLinks: string[] = []
  for (const session of laurelById.values()) {
    if (!session.portalSessionId || portalById.has(session.portalSessionId)) continue
    const portal = await findPortalSession(platform, scope, access, session.portalSessionId)
    if (portal) portalById.set(portal.id, portal)
    else missingLinks.push(session.id)
  }

  const drifts: Drift[] = []
  const linkedPortalIds = new Set<string>()
  const laurel = [...laurelById.values()].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime())
  for (const session of laurel) {
    const portal = session.portalSessionId ? portalById.get(session.portalSessionId) : undefined
    if (portal) {
      linkedPortalIds.add(portal.id)
      drifts.push(...compare(session, portal))
    } else if (session.portalSessionId && missingLinks.includes(session.id)) {
      if (isOpen(session)) {
        drifts.push({
          kind: 'missing_at_portal',
          detail: `Linked to ${session.portalSessionId}, which the portal does not have.`,
          laurel: session,
          portal: null,
          fixes: [
            { fix: 'unlink', label: 'Forget the portal link (then create it again)', examSessionId: session.id, portalSessionId: session.portalSessionId },
          ],
        })
      }
    } else if (isOpen(session)) {
      drifts.push({
        kind: 'missing_at_portal',
        detail: 'Not at the portal.',
        laurel: session,
        portal: null,
        fixes: [{ fix: 'create_at_portal', label: 'Create at the portal', examSessionId: session.id }],
      })
    }
  }
  const unlinkedLaurel = laurel.filter((session) => !session.portalSessionId && isOpen(session))
  for (const portal of [...portalById.values()].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime())) {
    if (linkedPortalIds.has(portal.id) || portal.status === 'cancelled') continue
    const twins = unlinkedLaurel.filter((session) => session.examCode === portal.examCode && sameInstant(session.startsAt, portal.startsAt))
    drifts.push({
      kind: 'extra_at_portal',
      detail: 'No Laurel exam session links to it.',
      laurel: null,
      portal,
      fixes: [
        ...twins.map((twin) => ({
          fix: 'link' as const,
          label: `Link to Laurel exam session ${twin.id}`,
          examSessionId: twin.id,
          portalSessionId: portal.id,
        })),
        { fix: 'cancel_at_portal', label: 'Cancel at the portal', portalSessionId: portal.id, needsReason: true },
      ],
    })
  }
  return { drifts, laurelCount: laurel.length, portalCount: portalById.size }
}

export interface FixInput {
  fix: FixKind
  examSessionId?: string
  portalSessionId?: string
  reason?: string
}

const stale = () => new ConflictError('drift_gone', 'This drift has changed since the page was shown; look at the reconciliation again.')

async function requirePortalSession(platform: Platform, scope: OrgScope, access: PortalAccess, portalSessionId: string | undefined): Promise<PortalSession> {
  if (!portalSessionId) throw new InvalidError('portal_session_required', 'Choose a portal session.')
  const portal = await findPortalSession(platform, scope, access, portalSessionId)
  if (!portal) throw stale()
  return portal
}

async function requireLaurelSession(platform: Platform, scope: OrgScope, examSessionId: string | undefined): Promise<ExamSessionView> {
  if (!examSessionId) throw new InvalidError('exam_session_required', 'Choose an exam session.')
  return getExamSessionView(platform.db, scope, examSessionId)
}

/** Applies one fix after checking that its drift still holds; returns what was done, in words. Audited. */
export async function applyFix(platform: Platform, scope: OrgScope, access: PortalAccess, input: FixInput): Promise<string> {
  requireRole(scope, 'staff')
  const done = await fix(platform, scope, access, input)
  await platform.audit.recordIn(platform.db, {
    action: 'exams.portal_reconciled',
    orgId: scope.orgId,
    actorAccountId: scope.accountId,
    target: input.examSessionId ?? input.portalSessionId ?? scope.orgId,
    data: { fix: input.fix, examSessionId: input.examSessionId ?? null, portalSessionId: input.portalSessionId ?? null },
  })
  return done
}

async function fix(platform: Platform, scope: OrgScope, access: PortalAccess, input: FixInput): Promise<string> {
  switch (input.fix) {
    case 'create_at_portal': {
      const laurel = await requireLaurelSession(platform, scope, input.examSessionId)
      const created = await applyCheckedPortalAction(platform, scope, access, 'create', laurel)
      return `Created at the portal as ${created.id}.`
    }
    case 'unlink': {
      const laurel = await requireLaurelSession(platform, scope, input.examSessionId)
      if (!laurel.portalSessionId || laurel.portalSessionId !== input.portalSessionId) throw stale()
      if (await findPortalSession(platform, scope, access, laurel.portalSessionId)) throw stale()
      await platform.db
        .update(examSessions)
        .set({ portalSessionId: null })
        .where(and(eq(examSessions.orgId, scope.orgId), eq(examSessions.id, laurel.id), eq(examSessions.portalSessionId, laurel.portalSessionId)))
      return 'The link to the missing portal session is forgotten; the exam session can be created at the portal again.'
    }
    case 'link': {
      const laurel = await requireLaurelSession(platform, scope, input.examSessionId)
      const portal = await requirePortalSession(platform, scope, access, input.portalSessionId)
      const [taken] = await listExamSessionsAtPortal(platform.db, scope, [portal.id])
      const isTwin =
        laurel.examCode === portal.examCode && laurel.centreCode === portal.centreCode && sameInstant(laurel.startsAt, portal.startsAt) && isOpen(laurel)
      if (laurel.portalSessionId || taken || !isTwin || portal.status === 'cancelled') throw stale()
      await platform.db
        .update(examSessions)
        .set({ portalSessionId: portal.id })
        .where(and(eq(examSessions.orgId, scope.orgId), eq(examSessions.id, laurel.id), isNull(examSessions.portalSessionId)))
      await platform.audit.recordIn(platform.db, {
        action: 'exams.portal_session_linked',
        orgId: scope.orgId,
        actorAccountId: scope.accountId,
        target: laurel.id,
        data: { portalSessionId: portal.id },
      })
      return `Linked to portal session ${portal.id}.`
    }
    case 'cancel_at_portal': {
      if (input.examSessionId) {
        const laurel = await requireLaurelSession(platform, scope, input.examSessionId)
        if (laurel.status !== 'cancelled' || laurel.portalSessionId !== input.portalSessionId) throw stale()
        await applyCheckedPortalAction(platform, scope, access, 'cancel', laurel, laurel.cancellationReason ?? 'Cancelled in Laurel')
        return 'Cancelled at the portal, as in Laurel.'
      }
      const portal = await requirePortalSession(platform, scope, access, input.portalSessionId)
      if ((await listExamSessionsAtPortal(platform.db, scope, [portal.id])).length > 0) throw stale()
      await applyUnlinkedPortalAction(platform, scope, access, 'cancel', portal.id, input.reason ?? '')
      return `Portal session ${portal.id} is cancelled.`
    }
    case 'take_portal_time': {
      const laurel = await requireLaurelSession(platform, scope, input.examSessionId)
      if (!laurel.portalSessionId || laurel.portalSessionId !== input.portalSessionId) throw stale()
      const portal = await requirePortalSession(platform, scope, access, laurel.portalSessionId)
      await rescheduleExamSession(platform, scope, laurel.id, {
        roomId: laurel.roomId,
        proctorId: laurel.proctorId,
        startsAt: portal.startsAt,
        endsAt: portal.endsAt,
        seats: portal.seats,
      })
      return 'The exam session now has the portal’s time and seats (it needs confirming again).'
    }
    case 'confirm_at_portal': {
      const laurel = await requireLaurelSession(platform, scope, input.examSessionId)
      if (laurel.status !== 'confirmed' || laurel.portalSessionId !== input.portalSessionId) throw stale()
      await applyCheckedPortalAction(platform, scope, access, 'confirm', laurel)
      return 'Confirmed at the portal, as in Laurel.'
    }
    case 'cancel_in_laurel': {
      const laurel = await requireLaurelSession(platform, scope, input.examSessionId)
      if (!laurel.portalSessionId || laurel.portalSessionId !== input.portalSessionId) throw stale()
      const portal = await requirePortalSession(platform, scope, access, laurel.portalSessionId)
      if (portal.status !== 'cancelled') throw stale()
      const reason = `Cancelled at the testing portal${portal.cancelReason ? `: ${portal.cancelReason}` : ''}`.slice(0, 500)
      await cancelExamSessions(platform, scope, [laurel.id], reason)
      return 'Cancelled in Laurel, as at the portal; registered candidates are told.'
    }
    case 'confirm_in_laurel': {
      const laurel = await requireLaurelSession(platform, scope, input.examSessionId)
      if (!laurel.portalSessionId || laurel.portalSessionId !== input.portalSessionId) throw stale()
      const portal = await requirePortalSession(platform, scope, access, laurel.portalSessionId)
      if (portal.status !== 'confirmed') throw stale()
      await confirmExamSessions(platform, scope, [laurel.id])
      return 'Confirmed in Laurel, as at the portal.'
    }
  }
}
