import { and, asc, count, desc, eq, inArray, lt, or, sql } from 'drizzle-orm'
import { hashToken } from '../../../platform/crypto/hashing.ts'
import type { Db } from '../../../platform/db/client.ts'
import { orderByOf, resolveSort, type Sort, type SortableColumns, type SortQuery } from '../../../platform/db/sort.ts'
import { ConflictError, ForbiddenError, InvalidError, NotFoundError } from '../../../platform/errors.ts'
import { newSecret } from '../../../platform/ids.ts'
import type { Platform } from '../../../platform/platform.ts'
import { eraseSubject, type Subject } from '../../../platform/privacy/registry.ts'
import { liftRestriction, restrictProcessing } from '../../../platform/privacy/restrictions.ts'
import { findAccountByEmail, link, normalizeEmail } from '../../identity/service.ts'
import { getOrg, hasRole, type OrgScope, type Page, requireRole } from '../../orgs/service.ts'
import { EXPORT_LIFETIME_DAYS, requestDataExport } from '../export/service.ts'
import { DEFAULT_PRIVACY_SETTINGS, getPrivacySettings } from '../settings.ts'
import { describeDeadline, dueDate, localDay, type WorkingCalendar } from './deadline.ts'
import { type PrivacyRequest, privacyRequests, type RequestStatus, type RequestType } from './schema.ts'
import { checkTransition, OPEN_STATUSES, TRANSITIONS } from './state-machine.ts'

export const TYPE_LABELS: Record<RequestType, string> = {
  access: 'Access / copy of my data',
  erasure: 'Erasure',
  restriction: 'Restriction of processing',
  objection: 'Objection to processing',
  rectification: 'Correction of my data',
}

const CONFIRMATION_LIFETIME_MS = 24 * 3600_000
/** A public request whose email was never confirmed expires after this long. */
export const UNCONFIRMED_EXPIRY_MS = 30 * 86_400_000
const PAGE_SIZE = 25

/** Whose requests a caller handles: one org's (staff and up) or, for the platform admin, every org's and the platform's own. */
export interface RequestQueue {
  accountId: string
  /** Null with `isPlatformQueue`: every request. */
  orgId: string | null
  isPlatformQueue: boolean
  /** Completing and refusing need an org admin (or the platform admin). */
  canApprove: boolean
}

export function orgQueue(scope: OrgScope): RequestQueue {
  requireRole(scope, 'staff')
  return { accountId: scope.accountId, orgId: scope.orgId, isPlatformQueue: false, canApprove: hasRole(scope.role, 'admin') }
}

export function platformQueue(accountId: string): RequestQueue {
  return { accountId, orgId: null, isPlatformQueue: true, canApprove: true }
}

const inQueue = (queue: RequestQueue) => (queue.isPlatformQueue ? undefined : eq(privacyRequests.orgId, queue.orgId ?? ''))

/** A scope for reading an org's own settings on behalf of the privacy center (no caller involved). */
export const readingScope = (orgId: string): OrgScope => ({ orgId, accountId: 'privacy-center', role: 'owner' })

export interface RequestCalendar extends WorkingCalendar {
  workingDays: number
  orgName: string | null
}

/** The org's deadline rules; platform-level requests: the default number of working days, in UTC. */
export async function calendarOf(db: Db, orgId: string | null): Promise<RequestCalendar> {
  if (!orgId) return { timeZone: 'UTC', holidays: [], workingDays: DEFAULT_PRIVACY_SETTINGS.requestDeadlineWorkingDays, orgName: null }
  const [org, settings] = await Promise.all([getOrg(db, readingScope(orgId)), getPrivacySettings(db, orgId)])
  return { timeZone: org.timeZone, holidays: settings.holidays, workingDays: settings.requestDeadlineWorkingDays, orgName: org.name }
}

/** The calendars of these orgs (null: the platform), read once each. */
export async function calendarsOf(db: Db, orgIds: (string | null)[]): Promise<Map<string | null, RequestCalendar>> {
  const unique = [...new Set(orgIds)]
  return new Map(await Promise.all(unique.map(async (orgId) => [orgId, await calendarOf(db, orgId)] as const)))
}

interface Move {
  to: RequestStatus
  actorAccountId: string | null
  outcome?: string
  set?: Partial<typeof privacyRequests.$inferInsert>
}

/**
 * The one way a request changes state: checks the move against the state machine, updates the row
 * only if nobody moved it meanwhile, and audits `privacy.request_<state>` in the same transaction.
 */
const DUE_COUNTS_MEMO = 'privacy.due_counts'

async function moveRequest(platform: Platform, tx: Db, request: PrivacyRequest, move: Move): Promise<PrivacyRequest> {
  checkTransition(request.status, move.to)
  const isFinal = ['completed', 'refused', 'expired'].includes(move.to)
  const [updated] = await tx
    .update(privacyRequests)
    .set({
      ...move.set,
      status: move.to,
      ...(move.outcome !== undefined ? { outcome: move.outcome } : {}),
      ...(isFinal ? { closedAt: platform.clock.now() } : {}),
    })
    .where(and(eq(privacyRequests.id, request.id), eq(privacyRequests.status, request.status)))
    .returning()
  if (!updated) throw new ConflictError('request_changed', 'Someone else changed this request meanwhile; reload it and try again.')
  await platform.audit.recordIn(tx, {
    action: `privacy.request_${move.to}`,
    orgId: request.orgId,
    actorAccountId: move.actorAccountId,
    target: request.id,
    data: { type: request.type, from: request.status, to: move.to },
  })
  if (request.orgId) await platform.memo.forget(request.orgId)
  return updated
}

interface NewRequest {
  orgId: string | null
  type: RequestType
  subject: Subject
  subjectName: string | null
  details: string | null
  /** Someone acting for the subject (a parent or guardian for a child). */
  guardian: Subject | null
}

async function insertRequest(platform: Platform, tx: Db, input: NewRequest, extra: Partial<typeof privacyRequests.$inferInsert>): Promise<PrivacyRequest> {
  const calendar = await calendarOf(tx, input.orgId)
  const receivedAt = platform.clock.now()
  const [request] = await tx
    .insert(privacyRequests)
    .values({
      orgId: input.orgId,
      type: input.type,
      status: 'received',
      subjectEmail: normalizeEmail(input.subject.email),
      subjectAccountId: input.subject.accountId,
      subjectName: input.subjectName,
      details: input.details,
      guardianEmail: input.guardian ? normalizeEmail(input.guardian.email) : null,
      actingAccountId: input.guardian?.accountId ?? null,
      receivedAt,
      dueAt: dueDate(receivedAt, calendar.workingDays, calendar),
      ...extra,
    })
    .returning()
  if (!request) throw new Error('The request was not stored.')
  await platform.audit.recordIn(tx, {
    action: 'privacy.request_received',
    orgId: input.orgId,
    actorAccountId: input.guardian?.accountId ?? input.subject.accountId,
    target: request.id,
    data: { type: input.type, actingForSubject: input.guardian !== null },
  })
  if (input.orgId) await platform.memo.forget(input.orgId)
  return request
}

/**
 * A request from someone without a session (the public form): stored as identity pending, and
 * nothing happens until the person opens the confirmation link emailed to that address.
 */
export async function submitPublicRequest(
  platform: Platform,
  input: { orgId: string | null; type: RequestType; email: string; name: string; details: string | null },
): Promise<void> {
  const token = newSecret()
  await platform.db.transaction(async (tx) => {
    const received = await insertRequest(
      platform,
      tx,
      {
        orgId: input.orgId,
        type: input.type,
        subject: { accountId: null, email: input.email },
        subjectName: input.name,
        details: input.details,
        guardian: null,
      },
      { tokenHash: hashToken(token), tokenExpiresAt: new Date(platform.clock.now().getTime() + CONFIRMATION_LIFETIME_MS) },
    )
    await moveRequest(platform, tx, received, { to: 'identity_pending', actorAccountId: null })
    const orgName = (await calendarOf(tx, input.orgId)).orgName
    await platform.mailer.send(tx, {
      to: normalizeEmail(input.email),
      subject: 'Confirm your privacy request',
      text: `Hello,\n\nSomeone (we hope you) asked ${orgName ?? 'us'} for: ${TYPE_LABELS[input.type].toLowerCase()}, about the data held on ${normalizeEmail(input.email)}.\n\nConfirm that it was you, and the request starts:\n${link(platform, `/privacy/request/confirm?token=${token}`)}\n\nThe link works for 24 hours. If you did not ask for this, ignore this message: nothing will happen, and the request is deleted from our queue after 30 days.\n`,
    })
  })
}

/** Opens the confirmation link: the request counts as received from now, with its identity confirmed by email. */
export async function confirmPublicRequest(platform: Platform, token: string): Promise<PrivacyRequest> {
  return platform.db.transaction(async (tx) => {
    const request = await requestForToken(platform, tx, token)
    const calendar = await calendarOf(tx, request.orgId)
    const receivedAt = platform.clock.now()
    return moveRequest(platform, tx, request, {
      to: 'received',
      actorAccountId: null,
      set: {
        identityVerification: 'email_link',
        identityVerifiedAt: receivedAt,
        tokenExpiresAt: null,
        receivedAt,
        dueAt: dueDate(receivedAt, calendar.workingDays, calendar),
      },
    })
  })
}

/** The request a confirmation link stands for, or an error saying why the link no longer works. */
export async function requestForToken(platform: Platform, db: Db, token: string): Promise<PrivacyRequest> {
  const [request] = await db
    .select()
    .from(privacyRequests)
    .where(eq(privacyRequests.tokenHash, hashToken(token)))
  if (!request) throw new InvalidError('link_invalid', 'This confirmation link is not valid. Copy the whole link from the email, or send the request again.')
  if (request.identityVerifiedAt) throw new ConflictError('link_used', 'This request was already confirmed: the link works once. Nothing more to do.')
  if (!request.tokenExpiresAt || request.tokenExpiresAt <= platform.clock.now() || request.status !== 'identity_pending') {
    throw new InvalidError('link_expired', 'This confirmation link has expired (links work for 24 hours). Send the request again for a new one.')
  }
  return request
}

/**
 * A request from a signed-in person, whose login session proves who they are: it goes straight to
 * in progress. `actingFor` makes the caller a guardian acting for another subject (a child).
 */
export async function submitOwnRequest(
  platform: Platform,
  caller: { accountId: string; email: string; name: string },
  input: { orgId: string | null; type: RequestType; details: string | null; actingFor?: Subject },
): Promise<PrivacyRequest> {
  if (input.orgId) await getOrg(platform.db, readingScope(input.orgId))
  const self: Subject = { accountId: caller.accountId, email: caller.email }
  return platform.db.transaction(async (tx) => {
    const received = await insertRequest(
      platform,
      tx,
      {
        orgId: input.orgId,
        type: input.type,
        subject: input.actingFor ?? self,
        subjectName: input.actingFor ? null : caller.name,
        details: input.details,
        guardian: input.actingFor ? self : null,
      },
      { identityVerification: 'session', identityVerifiedAt: platform.clock.now() },
    )
    return moveRequest(platform, tx, received, { to: 'in_progress', actorAccountId: caller.accountId })
  })
}

export async function getRequest(db: Db, queue: RequestQueue, requestId: string): Promise<PrivacyRequest> {
  const [request] = await db
    .select()
    .from(privacyRequests)
    .where(and(eq(privacyRequests.id, requestId), inQueue(queue)))
  if (!request) throw new NotFoundError('privacy_request', requestId)
  return request
}

const openFirst = sql`case when ${inArray(privacyRequests.status, [...OPEN_STATUSES])} then 0 when ${eq(privacyRequests.status, 'identity_pending')} then 1 else 2 end`

export type RequestSortKey = 'urgency' | 'type' | 'subject' | 'received' | 'status' | 'deadline'
export const REQUEST_SORT: SortableColumns<RequestSortKey> = {
  columns: {
    urgency: openFirst,
    type: privacyRequests.type,
    subject: privacyRequests.subjectEmail,
    received: privacyRequests.receivedAt,
    status: privacyRequests.status,
    deadline: privacyRequests.dueAt,
  },
  defaultSort: { key: 'urgency', direction: 'asc' },
  thenBy: privacyRequests.dueAt,
  tieBreaker: privacyRequests.id,
}

/** Open requests first, the nearest deadline (so the overdue) at the top, unless `sort` orders them by a column. */
export async function listRequests(
  db: Db,
  queue: RequestQueue,
  options: { status?: RequestStatus; page?: number } & SortQuery = {},
): Promise<Page<PrivacyRequest> & { sort: Sort<RequestSortKey> }> {
  const page = Math.max(1, options.page ?? 1)
  const sort = resolveSort(REQUEST_SORT, options)
  const where = and(inQueue(queue), options.status ? eq(privacyRequests.status, options.status) : undefined)
  const [totals] = await db.select({ total: count() }).from(privacyRequests).where(where)
  const items = await db
    .select()
    .from(privacyRequests)
    .where(where)
    .orderBy(...orderByOf(REQUEST_SORT, sort))
    .limit(PAGE_SIZE)
    .offset((page - 1) * PAGE_SIZE)
  const total = totals?.total ?? 0
  return { items, total, page, pageCount: Math.max(1, Math.ceil(total / PAGE_SIZE)), sort }
}

/** The requests a person made or that are about them (by any of their addresses), newest first. */
export async function listOwnRequests(db: Db, accountId: string, emails: string[]): Promise<PrivacyRequest[]> {
  return db
    .select()
    .from(privacyRequests)
    .where(
      or(
        eq(privacyRequests.subjectAccountId, accountId),
        eq(privacyRequests.actingAccountId, accountId),
        emails.length > 0 ? inArray(privacyRequests.subjectEmail, emails) : undefined,
      ),
    )
    .orderBy(desc(privacyRequests.receivedAt))
    .limit(100)
}

export const REQUEST_ACTIONS = ['confirm_identity', 'start', 'send_for_approval', 'send_back', 'complete', 'refuse'] as const
export type RequestAction = (typeof REQUEST_ACTIONS)[number]

/** What each staff action moves a request to, and from which state its button shows. */
const ACTIONS: Record<RequestAction, { to: RequestStatus; from?: RequestStatus }> = {
  confirm_identity: { to: 'received', from: 'identity_pending' },
  start: { to: 'in_progress', from: 'received' },
  send_for_approval: { to: 'awaiting_approval', from: 'in_progress' },
  send_back: { to: 'in_progress', from: 'awaiting_approval' },
  complete: { to: 'completed' },
  refuse: { to: 'refused' },
}

export const ACTION_LABELS: Record<RequestAction, string> = {
  confirm_identity: 'Confirm identity',
  start: 'Start',
  send_for_approval: 'Send for approval',
  send_back: 'Send back',
  complete: 'Approve and complete',
  refuse: 'Refuse',
}

/** The actions a request's state allows this queue to take, for the buttons on its page. */
export function availableActions(request: PrivacyRequest, queue: RequestQueue): RequestAction[] {
  return REQUEST_ACTIONS.filter((action) => {
    const { to, from } = ACTIONS[action]
    if (!TRANSITIONS[request.status].includes(to) || (from && from !== request.status)) return false
    return to === 'completed' || to === 'refused' ? queue.canApprove : true
  })
}

/** The answer to an access request: where the person finds the export of their data. */
function exportNote(hasAccount: boolean): string {
  return hasAccount
    ? `We prepared a copy of all the person’s data (a ZIP file): they download it from My privacy when signed in, within ${EXPORT_LIFETIME_DAYS} days.`
    : 'We prepared a copy of all the person’s data (a ZIP file): as they have no account, staff send it to them.'
}

/**
 * Staff act on a request. Completing carries out what was asked: erasure erases the subject
 * everywhere (eraseSubject, committed before the request closes, so a failure leaves it open to
 * retry), restriction and objection restrict processing; access starts a data export for the
 * subject once the request is completed (staff download it from the request page); rectification
 * is answered by the outcome note. Refusing needs a reason.
 */
export async function actOnRequest(
  platform: Platform,
  queue: RequestQueue,
  requestId: string,
  input: { action: RequestAction; note?: string | null },
): Promise<PrivacyRequest> {
  const note = input.note?.trim() || null
  const { to } = ACTIONS[input.action]
  if ((to === 'completed' || to === 'refused') && !queue.canApprove) {
    throw new ForbiddenError('approval_role_required', 'Only an admin of this organisation can complete or refuse a request.')
  }
  if (to === 'refused' && !note) throw new InvalidError('reason_required', 'Say why the request is refused.', { note: 'Give the reason for the refusal.' })
  const before = await getRequest(platform.db, queue, requestId)
  checkTransition(before.status, to)
  if (to === 'in_progress' && before.identityVerification === 'unverified') {
    throw new ConflictError('identity_unverified', 'Confirm who made the request before starting it.')
  }
  const answersWithData = to === 'completed' && (before.type === 'erasure' || before.type === 'access')
  const subject = answersWithData && before.subjectEmail ? await subjectOf(platform.db, before.subjectAccountId, before.subjectEmail) : null
  if (subject && before.type === 'erasure') await eraseSubject(platform.db, platform.memo, platform.privacyProviders, subject)
  const moved = await platform.db.transaction(async (tx) => {
    const request = await getRequest(tx, queue, requestId)
    let outcome: string | undefined
    if (to === 'refused') outcome = note ?? undefined
    if (to === 'completed') {
      if ((request.type === 'restriction' || request.type === 'objection') && request.subjectEmail) {
        await restrictProcessing(tx, request.subjectEmail, request.type, request.id)
      }
      outcome =
        note ??
        (request.type === 'access' ? exportNote(Boolean(subject?.accountId)) : request.type === 'erasure' ? 'The person’s data was erased.' : 'Done as asked.')
    }
    const confirmedByStaff = { identityVerification: 'staff' as const, identityVerifiedAt: platform.clock.now(), tokenExpiresAt: null }
    const moved = await moveRequest(platform, tx, request, {
      to,
      actorAccountId: queue.accountId,
      outcome,
      set: input.action === 'confirm_identity' ? confirmedByStaff : undefined,
    })
    if (to === 'completed' || to === 'refused') await tellOutcome(platform, tx, moved)
    return moved
  })
  if (subject && moved.type === 'access') {
    await requestDataExport(platform, subject, { requestId: moved.id, actor: { accountId: queue.accountId, orgId: moved.orgId } })
  }
  return moved
}

/** The person a request is about: their account when they have one (linked, or found by the email), else only the email. */
async function subjectOf(db: Db, accountId: string | null, email: string): Promise<Subject> {
  const account = accountId ? { id: accountId } : await findAccountByEmail(db, email)
  return { accountId: account?.id ?? null, email }
}

/**
 * Tells the person (or the guardian who acted for them) how their request ended. After an erasure
 * nobody is told: the address is gone, and a message would store it again.
 */
async function tellOutcome(platform: Platform, tx: Db, request: PrivacyRequest): Promise<void> {
  const to = request.guardianEmail ?? request.subjectEmail
  if (!to) return
  const { orgName, timeZone } = await calendarOf(tx, request.orgId)
  await platform.mailer.send(tx, {
    to,
    subject: `Your privacy request was ${request.status}`,
    text: `Hello,\n\nYour privacy request to ${orgName ?? 'us'} (${TYPE_LABELS[request.type].toLowerCase()}, received ${localDay(request.receivedAt, timeZone)}) was ${request.status}.\n\n${request.outcome ?? ''}\n\nIf you have an account, you see your requests under My privacy: ${link(platform, '/account/privacy')}\n`,
  })
}

/** Lifts the restriction a completed restriction or objection request set; audited on the request. */
export async function liftRequestRestriction(platform: Platform, queue: RequestQueue, requestId: string): Promise<boolean> {
  return platform.db.transaction(async (tx) => {
    const request = await getRequest(tx, queue, requestId)
    if ((request.type !== 'restriction' && request.type !== 'objection') || request.status !== 'completed' || !request.subjectEmail) {
      throw new ConflictError('nothing_to_lift', 'Only a completed restriction or objection request has a restriction to lift.')
    }
    const lifted = await liftRestriction(tx, request.subjectEmail)
    await platform.audit.recordIn(tx, { action: 'privacy.restriction_lifted', orgId: request.orgId, actorAccountId: queue.accountId, target: request.id })
    return lifted
  })
}

/** The person lifts the restriction or objection they asked for, themselves (audited). */
export async function liftOwnRestriction(platform: Platform, caller: { accountId: string; email: string }): Promise<boolean> {
  return platform.db.transaction(async (tx) => {
    const lifted = await liftRestriction(tx, caller.email)
    if (lifted) await platform.audit.recordIn(tx, { action: 'privacy.restriction_lifted', actorAccountId: caller.accountId, target: caller.accountId })
    return lifted
  })
}

/** The org's open requests for its dashboard: how many, how many near or past their deadline, the nearest few. */
export interface OpenRequestsSummary {
  open: number
  nearDue: number
  overdue: number
  nearest: { id: string; type: RequestType; dueAt: Date; deadline: string; isOverdue: boolean }[]
}

const NEAREST_SHOWN = 3

/**
 * The org dashboard reads this on every view, so it is remembered for a few seconds (platform.memo) and
 * forgotten whenever one of the org's requests is received or moves.
 */
export async function summarizeOpenRequests(platform: Platform, orgId: string): Promise<OpenRequestsSummary> {
  return platform.memo.table<OpenRequestsSummary>(DUE_COUNTS_MEMO).remember(
    orgId,
    async () => {
      const open = await platform.db
        .select({ id: privacyRequests.id, type: privacyRequests.type, dueAt: privacyRequests.dueAt })
        .from(privacyRequests)
        .where(and(eq(privacyRequests.orgId, orgId), inArray(privacyRequests.status, [...OPEN_STATUSES])))
        .orderBy(asc(privacyRequests.dueAt), asc(privacyRequests.id))
      if (open.length === 0) return { open: 0, nearDue: 0, overdue: 0, nearest: [] }
      const calendar = await calendarOf(platform.db, orgId)
      const now = platform.clock.now()
      const described = open.map((row) => ({ ...row, ...describeDeadline(now, row.dueAt, calendar) }))
      return {
        open: open.length,
        nearDue: described.filter((one) => one.isNearDue).length,
        overdue: described.filter((one) => one.isOverdue).length,
        nearest: described.slice(0, NEAREST_SHOWN).map(({ id, type, dueAt, label, isOverdue }) => ({ id, type, dueAt, deadline: label, isOverdue })),
      }
    },
    () => [orgId],
  )
}

/** Expires requests still waiting for their email confirmation that were made before `madeBefore`. */
export async function expireUnconfirmed(platform: Platform, madeBefore: Date): Promise<number> {
  const stale = await platform.db
    .select()
    .from(privacyRequests)
    .where(and(eq(privacyRequests.status, 'identity_pending'), lt(privacyRequests.receivedAt, madeBefore)))
  let expired = 0
  for (const request of stale) {
    try {
      await platform.db.transaction((tx) => moveRequest(platform, tx, request, { to: 'expired', actorAccountId: null }))
      expired++
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error // confirmed meanwhile: it stays
    }
  }
  return expired
}
