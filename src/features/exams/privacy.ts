import { and, eq, gte, lt, not, sql } from 'drizzle-orm'
import { definePrivacyProvider } from '../../platform/privacy/registry.ts'
import { examRegistrationImports, examRegistrations, proctors } from './schema.ts'

/** Pending registration uploads that name the address; saved uploads keep no rows. */
const importsNaming = (email: string) => sql`${examRegistrationImports.rows} @> ${JSON.stringify([{ email }])}::jsonb`

/** Erasure leaves `erased:<id>` in place of an address (see erase below). */
const erasedEmail = (column: typeof examRegistrations.email) => sql`${column} like 'erased:%'`

export const examsPrivacy = definePrivacyProvider({
  name: 'exams',
  stores: [
    {
      table: 'proctors',
      columns: ['name', 'email', 'member_id', 'portal_proctor_id'],
      purpose: 'Naming who supervises each exam session and reaching them about it',
      legalBasis: 'legitimate_interest',
      retention: 'While the organisation keeps the proctor in its catalog; on erasure the proctor is anonymised and archived, their exam sessions stay',
    },
    {
      table: 'exam_registrations',
      columns: ['name', 'email', 'checked_in_at', 'score', 'passed', 'credential_id'],
      purpose: 'Seating candidates at exam sessions, telling them of cancellations, recording their results and issuing what a pass earns',
      legalBasis: 'contract',
      retention: 'While the organisation keeps the exam session; on erasure the registration is anonymised (it still holds its seat), its result cleared',
    },
    {
      table: 'exam_registration_imports',
      columns: ['rows'],
      purpose: 'Candidates of an uploaded file between its preview and its confirmation',
      legalBasis: 'contract',
      retention: 'Until the upload is confirmed, when its rows are emptied; on erasure uploads naming the person are deleted',
    },
  ],
  notPersonal: [
    { table: 'exams', columns: ['id', 'org_id', 'code', 'title', 'achievement_id'], reason: 'The organisation’s exam catalog' },
    { table: 'test_centres', columns: ['id', 'org_id', 'code', 'name', 'time_zone'], reason: 'The organisation’s testing centres' },
    { table: 'rooms', columns: ['id', 'org_id', 'centre_id', 'name'], reason: 'Rooms of the testing centres' },
    { table: 'proctors', columns: ['id', 'org_id'], reason: 'Random IDs' },
    {
      table: 'exam_sessions',
      columns: [
        'id',
        'org_id',
        'exam_id',
        'centre_id',
        'room_id',
        'proctor_id',
        'status',
        'cancellation_reason',
        'idempotency_key',
        'created_by_account_id',
        'portal_session_id',
      ],
      reason: 'When and where an exam is held, by whose staff account it was scheduled, and why it was cancelled (staff write it for all candidates)',
    },
    {
      table: 'exam_registrations',
      columns: ['id', 'org_id', 'exam_session_id', 'status', 'created_by_account_id'],
      reason: 'Random IDs, the registration’s state and the staff account that registered the candidate',
    },
    {
      table: 'exam_registration_imports',
      columns: ['id', 'org_id', 'file_name', 'state', 'created_by_account_id'],
      reason: 'The upload itself: its file’s name, its state and the staff account that uploaded it',
    },
    {
      table: 'exam_session_imports',
      columns: ['id', 'org_id', 'file_name', 'state', 'rows', 'created_by_account_id'],
      reason: 'An uploaded schedule of exam sessions (dates, rooms, exams; no candidates) and the staff account that uploaded it',
    },
    { table: 'portal_connections', columns: ['org_id', 'base_url'], reason: 'The address of the organisation’s vendor portal' },
    {
      table: 'portal_runs',
      columns: ['id', 'org_id', 'action', 'cancel_reason', 'state', 'claim_id', 'job_id', 'message', 'created_by_account_id', 'token_encrypted'],
      reason: 'A batch of portal actions: its state, messages, the staff account that started it and the organisation’s encrypted portal token',
    },
    {
      table: 'portal_run_items',
      columns: ['run_id', 'exam_session_id', 'org_id', 'state', 'rule', 'message', 'portal_session_id'],
      reason: 'One exam session’s step in a portal batch: its state, the rule it broke and the portal’s message',
    },
  ],
  retainedAfterErasure: [],
  subjectsHolding: {
    async exam_registrations(db, { orgId, from, to }) {
      return db
        .selectDistinct({ email: examRegistrations.email, name: examRegistrations.name, accountId: sql<string | null>`null` })
        .from(examRegistrations)
        .where(
          and(
            eq(examRegistrations.orgId, orgId),
            not(erasedEmail(examRegistrations.email)),
            from ? gte(examRegistrations.createdAt, from) : undefined,
            to ? lt(examRegistrations.createdAt, to) : undefined,
          ),
        )
    },
  },
  async export(db, subject) {
    const rows = await db.select().from(proctors).where(eq(proctors.email, subject.email))
    const registrations = await db.select().from(examRegistrations).where(eq(examRegistrations.email, subject.email))
    const uploads = await db.select().from(examRegistrationImports).where(importsNaming(subject.email))
    return {
      proctors: rows.map((row) => ({
        id: row.id,
        orgId: row.orgId,
        name: row.name,
        email: row.email,
        portalProctorId: row.portalProctorId,
        archivedAt: row.archivedAt,
      })),
      examRegistrations: registrations.map((row) => ({
        id: row.id,
        orgId: row.orgId,
        examSessionId: row.examSessionId,
        name: row.name,
        email: row.email,
        status: row.status,
        checkedInAt: row.checkedInAt,
        score: row.score,
        passed: row.passed,
        resultRecordedAt: row.resultRecordedAt,
        credentialId: row.credentialId,
        registeredAt: row.createdAt,
      })),
      pendingRegistrationUploads: uploads.map((upload) => ({
        id: upload.id,
        orgId: upload.orgId,
        fileName: upload.fileName,
        rows: upload.rows.filter((row) => row.email === subject.email),
      })),
    }
  },
  /** Keeps proctor and registration rows (exam sessions and seat counts rely on them) without anything that identifies the person. */
  async erase(db, subject) {
    await db
      .update(proctors)
      .set({
        name: 'Erased proctor',
        email: sql`'erased:' || ${proctors.id}`,
        memberId: null,
        portalProctorId: null,
        archivedAt: sql`coalesce(${proctors.archivedAt}, now())`,
      })
      .where(eq(proctors.email, subject.email))
    await db
      .update(examRegistrations)
      .set({ name: 'Erased candidate', email: sql`'erased:' || ${examRegistrations.id}`, checkedInAt: null, score: null, passed: null, credentialId: null })
      .where(eq(examRegistrations.email, subject.email))
    await db.delete(examRegistrationImports).where(importsNaming(subject.email))
  },
})
