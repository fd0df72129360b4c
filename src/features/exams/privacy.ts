import { eq, sql } from 'drizzle-orm'
import { definePrivacyProvider } from '../../platform/privacy/registry.ts'
import { proctors } from './schema.ts'

export const examsPrivacy = definePrivacyProvider({
  name: 'exams',
  stores: [
    {
      table: 'proctors',
      columns: ['name', 'email', 'member_id'],
      purpose: 'Naming who supervises each exam session and reaching them about it',
      legalBasis: 'legitimate_interest',
      retention: 'While the organisation keeps the proctor in its catalog; on erasure the proctor is anonymised and archived, their exam sessions stay',
    },
  ],
  retainedAfterErasure: [],
  async export(db, subject) {
    const rows = await db.select().from(proctors).where(eq(proctors.email, subject.email))
    return { proctors: rows.map((row) => ({ id: row.id, orgId: row.orgId, name: row.name, email: row.email, archivedAt: row.archivedAt })) }
  },
  /** Keeps the proctor row (exam sessions point at it) without anything that identifies the person. */
  async erase(db, subject) {
    await db
      .update(proctors)
      .set({ name: 'Erased proctor', email: sql`'erased:' || ${proctors.id}`, memberId: null, archivedAt: sql`coalesce(${proctors.archivedAt}, now())` })
      .where(eq(proctors.email, subject.email))
  },
})
