import { sql } from 'drizzle-orm'
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { createdAt, idColumn, timestamps } from '../../platform/db/columns.ts'

// Exam sessions (area: exams)

/** An exam an org runs; a pass earns `achievementId` (an achievement of the same org). */
export const exams = pgTable(
  'exams',
  {
    id: idColumn('exam'),
    orgId: text().notNull(),
    code: text().notNull(),
    title: text().notNull(),
    durationMinutes: integer().notNull(),
    passMark: integer().notNull(),
    maxScore: integer().notNull(),
    achievementId: text(),
    /** How long before an exam session's start candidates can be checked in. */
    checkInOpensMinutesBefore: integer().notNull().default(60),
    /** How long before an exam session's start results can be recorded (0: from the start). */
    resultsOpenMinutesBefore: integer().notNull().default(0),
    archivedAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (table) => [uniqueIndex('exams_org_code_idx').on(table.orgId, table.code)],
)

export const testCentres = pgTable(
  'test_centres',
  {
    id: idColumn('ctr'),
    orgId: text().notNull(),
    code: text().notNull(),
    name: text().notNull(),
    /** IANA time zone: exam session times are entered and shown in it. */
    timeZone: text().notNull(),
    archivedAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (table) => [uniqueIndex('test_centres_org_code_idx').on(table.orgId, table.code)],
)

export const rooms = pgTable(
  'rooms',
  {
    id: idColumn('room'),
    orgId: text().notNull(),
    centreId: text().notNull(),
    name: text().notNull(),
    capacity: integer().notNull(),
    archivedAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (table) => [uniqueIndex('rooms_centre_name_idx').on(table.centreId, table.name)],
)

export const proctors = pgTable(
  'proctors',
  {
    id: idColumn('proc'),
    orgId: text().notNull(),
    name: text().notNull(),
    /** Lower-cased. */
    email: text().notNull(),
    /** The org member this proctor is, when they have an account. */
    memberId: text(),
    /** Who this proctor is at the org's testing portal (the portal's `proctorId`). */
    portalProctorId: text(),
    archivedAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (table) => [uniqueIndex('proctors_org_email_idx').on(table.orgId, table.email)],
)

/** The org's external testing portal: where it is and how fast it may be called. */
export const portalConnections = pgTable('portal_connections', {
  orgId: text().primaryKey(),
  /** Base URL of a portal speaking docs/portal-protocol.md. */
  baseUrl: text().notNull(),
  /** Requests per second Laurel sends at most; at or under the portal's own limit. */
  requestsPerSecond: integer().notNull().default(10),
  ...timestamps,
})

export const EXAM_SESSION_STATUSES = ['scheduled', 'confirmed', 'cancelled', 'completed'] as const
export type ExamSessionStatus = (typeof EXAM_SESSION_STATUSES)[number]

export const examSessions = pgTable(
  'exam_sessions',
  {
    id: idColumn('exs'),
    orgId: text().notNull(),
    examId: text().notNull(),
    centreId: text().notNull(),
    roomId: text().notNull(),
    proctorId: text(),
    startsAt: timestamp({ withTimezone: true }).notNull(),
    endsAt: timestamp({ withTimezone: true }).notNull(),
    seats: integer().notNull(),
    status: text().$type<ExamSessionStatus>().notNull().default('scheduled'),
    cancellationReason: text(),
    /** Same key, same exam session: re-uploaded CSV rows create nothing twice. */
    idempotencyKey: text(),
    createdByAccountId: text(),
    /** The same exam session at the org's testing portal, once created there. */
    portalSessionId: text(),
    /** Candidates may register themselves on the org's page of open exam sessions. */
    selfRegistrationOpen: boolean().notNull().default(false),
    /** When self-registration closes; none: it stays open until the exam session starts. */
    selfRegistrationClosesAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (table) => [
    uniqueIndex('exam_sessions_portal_idx').on(table.orgId, table.portalSessionId).where(sql`portal_session_id is not null`),
    index('exam_sessions_org_starts_idx').on(table.orgId, table.startsAt),
    index('exam_sessions_room_idx').on(table.roomId, table.startsAt),
    uniqueIndex('exam_sessions_idempotency_idx').on(table.orgId, table.idempotencyKey).where(sql`idempotency_key is not null`),
  ],
)

export interface ExamSessionImportRow {
  line: number
  examId: string
  roomId: string
  proctorId: string | null
  startsAt: string
  endsAt: string
  seats: number
  idempotencyKey: string
}

/** A CSV upload of exam sessions between preview and confirmation; rows hold IDs only, no personal data. */
export const examSessionImports = pgTable('exam_session_imports', {
  id: idColumn('exsimp'),
  orgId: text().notNull(),
  fileName: text().notNull(),
  state: text().$type<'previewed' | 'created'>().notNull().default('previewed'),
  rows: jsonb().$type<ExamSessionImportRow[]>().notNull().default([]),
  totalRows: integer().notNull(),
  validRows: integer().notNull(),
  alreadyCreated: integer().notNull().default(0),
  created: integer().notNull().default(0),
  createdByAccountId: text().notNull(),
  createdAt: createdAt(),
  updatedAt: timestamps.updatedAt,
})

// Registrations and results (area: results)

export const REGISTRATION_STATUSES = ['seated', 'waitlisted'] as const
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number]

/** A candidate registered for an exam session: seated up to its seats, then waitlisted in `position` order. */
export const examRegistrations = pgTable(
  'exam_registrations',
  {
    id: idColumn('exreg'),
    orgId: text().notNull(),
    examSessionId: text().notNull(),
    name: text().notNull(),
    /** Lower-cased. */
    email: text().notNull(),
    status: text().$type<RegistrationStatus>().notNull(),
    /** Order of registration within the exam session: the waitlist is promoted in this order. */
    position: integer().notNull(),
    checkedInAt: timestamp({ withTimezone: true }),
    score: integer(),
    passed: boolean(),
    resultRecordedAt: timestamp({ withTimezone: true }),
    /** The achievement credential a pass issued. */
    credentialId: text(),
    createdByAccountId: text(),
    ...timestamps,
  },
  (table) => [
    uniqueIndex('exam_registrations_session_email_idx').on(table.examSessionId, table.email),
    index('exam_registrations_org_email_idx').on(table.orgId, table.email),
  ],
)

export interface RegistrationImportRow {
  line: number
  examSessionId: string
  name: string
  email: string
}

/** A CSV upload of registrations between preview and confirmation; its rows (names, emails) are emptied once saved. */
export const examRegistrationImports = pgTable('exam_registration_imports', {
  id: idColumn('exrimp'),
  orgId: text().notNull(),
  fileName: text().notNull(),
  state: text().$type<'previewed' | 'saved'>().notNull().default('previewed'),
  rows: jsonb().$type<RegistrationImportRow[]>().notNull().default([]),
  totalRows: integer().notNull(),
  validRows: integer().notNull(),
  alreadyRegistered: integer().notNull().default(0),
  saved: integer().notNull().default(0),
  createdByAccountId: text().notNull(),
  createdAt: createdAt(),
  updatedAt: timestamps.updatedAt,
})

// Portal runs (area: portal)

export const PORTAL_RUN_STATES = ['queued', 'running', 'cancelling', 'completed', 'failed', 'stopped'] as const
export type PortalRunState = (typeof PORTAL_RUN_STATES)[number]

/**
 * A batch action (create, confirm or cancel) sent to the org's testing portal by a job. Privacy: a
 * run holds IDs, counts and the cancel reason the admin typed only; no personal data, never a portal
 * password, and its portal token only encrypted by the keyring, until the run ends.
 */
export const portalRuns = pgTable(
  'portal_runs',
  {
    id: idColumn('prun'),
    orgId: text().notNull(),
    action: text().$type<'create' | 'confirm' | 'cancel'>().notNull(),
    cancelReason: text(),
    state: text().$type<PortalRunState>().notNull().default('queued'),
    total: integer().notNull(),
    /** The worker that holds the run; a claim takes it over only once `heartbeatAt` is stale. */
    claimId: text(),
    heartbeatAt: timestamp({ withTimezone: true }),
    /** The latest pg-boss job for the run (a resumed run gets a new one). */
    jobId: text(),
    /** Why the run failed, in words safe to show. */
    message: text(),
    /** The run's portal token (with its expiry and portal actor), keyring ciphertext; null once wiped. */
    tokenEncrypted: text(),
    /** Set once the run's portal token was logged out and wiped. */
    tokenWipedAt: timestamp({ withTimezone: true }),
    createdByAccountId: text().notNull(),
    finishedAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (table) => [index('portal_runs_org_idx').on(table.orgId, table.createdAt), index('portal_runs_state_idx').on(table.state)],
)

export const PORTAL_RUN_ITEM_STATES = ['pending', 'done', 'failed', 'skipped'] as const
export type PortalRunItemState = (typeof PORTAL_RUN_ITEM_STATES)[number]

/** One exam session of a portal run and what happened to it (IDs and portal messages only). */
export const portalRunItems = pgTable(
  'portal_run_items',
  {
    runId: text().notNull(),
    examSessionId: text().notNull(),
    orgId: text().notNull(),
    position: integer().notNull(),
    state: text().$type<PortalRunItemState>().notNull().default('pending'),
    /** The portal rule (or Laurel precondition) that kept a skipped item from being sent. */
    rule: text(),
    message: text(),
    portalSessionId: text(),
    attempts: integer().notNull().default(0),
    updatedAt: timestamps.updatedAt,
  },
  (table) => [primaryKey({ columns: [table.runId, table.examSessionId] }), index('portal_run_items_run_idx').on(table.runId, table.state, table.position)],
)
