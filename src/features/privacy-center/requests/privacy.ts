import { eq, or } from 'drizzle-orm'
import { definePrivacyProvider } from '../../../platform/privacy/registry.ts'
import { privacyRequests } from './schema.ts'

export const privacyRequestsPrivacy = definePrivacyProvider({
  name: 'privacy-requests',
  stores: [
    {
      table: 'privacy_requests',
      columns: ['subject_email', 'subject_account_id', 'subject_name', 'details', 'guardian_email', 'acting_account_id'],
      purpose: 'Handling a privacy request (access, erasure, restriction, objection, correction) and proving it was answered in time',
      legalBasis: 'legal_obligation',
      retention: 'While the request is handled; after an erasure only its type, dates, status and outcome are kept',
    },
  ],
  notPersonal: [
    {
      table: 'privacy_requests',
      columns: ['id', 'org_id', 'type', 'status', 'identity_verification', 'token_hash', 'outcome'],
      reason: 'The request’s kind, state, the hash of its one-time link and what staff answered',
    },
  ],
  retainedAfterErasure: [
    {
      table: 'privacy_requests',
      column: 'outcome',
      reason:
        'Proof that the request was honoured (its type, dates, status and the answer staff recorded) is kept after erasure, without the address or name of the person (legal obligation to demonstrate compliance).',
    },
  ],
  async export(db, subject) {
    const rows = await db
      .select()
      .from(privacyRequests)
      .where(or(eq(privacyRequests.subjectEmail, subject.email), eq(privacyRequests.guardianEmail, subject.email)))
    return {
      requests: rows.map((row) => ({
        id: row.id,
        orgId: row.orgId,
        type: row.type,
        status: row.status,
        subjectEmail: row.subjectEmail,
        subjectName: row.subjectName,
        details: row.details,
        actingAsGuardian: row.guardianEmail === subject.email,
        receivedAt: row.receivedAt,
        dueAt: row.dueAt,
        outcome: row.outcome,
        closedAt: row.closedAt,
      })),
    }
  },
  async erase(db, subject) {
    const anonymous = { subjectEmail: null, subjectAccountId: null, subjectName: null, details: null }
    await db.update(privacyRequests).set(anonymous).where(eq(privacyRequests.subjectEmail, subject.email))
    if (subject.accountId) await db.update(privacyRequests).set(anonymous).where(eq(privacyRequests.subjectAccountId, subject.accountId))
    await db.update(privacyRequests).set({ guardianEmail: null, actingAccountId: null }).where(eq(privacyRequests.guardianEmail, subject.email))
  },
})
