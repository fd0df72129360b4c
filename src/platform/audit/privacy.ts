import { eq, or, sql } from 'drizzle-orm'
import { definePrivacyProvider } from '../privacy/registry.ts'
import { ipAddressesRule, requestEntriesRule } from './retention.ts'
import { auditEntries } from './schema.ts'

const RETENTION_REASON =
  'The security audit log is append-only and hash-chained so tampering can be proven; entries about a person (their sign-in attempts with address and browser) are kept for the security of the accounts and the organisation (legitimate interest); their IP address and browser for 90 days, request entries for one year.'

export const auditPrivacy = definePrivacyProvider({
  name: 'audit',
  stores: [
    {
      table: 'audit_entries',
      columns: ['actor_account_id', 'data', 'ip', 'user_agent', 'personal_digest', 'personal_salt'],
      purpose: 'Security audit of sign-ins, requests and administrative actions',
      legalBasis: 'legitimate_interest',
      retention:
        'Page and API request entries: one year (365 days), then pruned to their action and time; the IP address and browser of every entry: 90 days; sign-in and administrative entries are kept without them as the security record',
      rules: [requestEntriesRule, ipAddressesRule],
    },
  ],
  notPersonal: [
    {
      table: 'audit_entries',
      columns: ['id', 'org_id', 'action', 'target', 'mac', 'prev_hash', 'hash', 'content_digest'],
      reason: 'What was done and to which entity (a random ID), and the chain’s hashes and content digest',
    },
  ],
  retainedAfterErasure: [
    { table: 'audit_entries', column: 'data', reason: RETENTION_REASON },
    { table: 'audit_entries', column: 'ip', reason: RETENTION_REASON },
    { table: 'audit_entries', column: 'user_agent', reason: RETENTION_REASON },
    { table: 'audit_entries', column: 'personal_digest', reason: RETENTION_REASON },
    { table: 'audit_entries', column: 'personal_salt', reason: RETENTION_REASON },
  ],
  async export(db, subject) {
    const rows = await db
      .select()
      .from(auditEntries)
      .where(or(subject.accountId ? eq(auditEntries.actorAccountId, subject.accountId) : undefined, sql`${auditEntries.data}->>'email' = ${subject.email}`))
      .orderBy(auditEntries.seq)
    return { entries: rows.map(({ id, recordedAt, action, orgId, data, ip, userAgent }) => ({ id, recordedAt, action, orgId, data, ip, userAgent })) }
  },
  async erase() {
    // Retained by design: see RETENTION_REASON.
  },
})
