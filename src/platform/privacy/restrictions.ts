import { eq, inArray } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { definePrivacyProvider } from './registry.ts'
import { processingRestrictions, type RestrictionKind } from './schema.ts'

const normalized = (email: string) => email.trim().toLowerCase()

/** Stops processing the person's data beyond keeping it, until lifted; setting it again changes the kind. */
export async function restrictProcessing(db: Db, email: string, kind: RestrictionKind, requestId: string | null = null): Promise<void> {
  const row = { email: normalized(email), kind, requestId }
  await db.insert(processingRestrictions).values(row).onConflictDoUpdate({ target: processingRestrictions.email, set: { kind, requestId } })
}

/** Lifts the restriction; false when there was none. */
export async function liftRestriction(db: Db, email: string): Promise<boolean> {
  const deleted = await db
    .delete(processingRestrictions)
    .where(eq(processingRestrictions.email, normalized(email)))
    .returning()
  return deleted.length > 0
}

export async function isRestricted(db: Db, email: string): Promise<boolean> {
  return (await restrictedAmong(db, [email])).size > 0
}

/** Which of these addresses (lower-cased) are restricted, in one query. */
export async function restrictedAmong(db: Db, emails: string[]): Promise<Set<string>> {
  if (emails.length === 0) return new Set()
  const rows = await db
    .select({ email: processingRestrictions.email })
    .from(processingRestrictions)
    .where(inArray(processingRestrictions.email, [...new Set(emails.map(normalized))]))
  return new Set(rows.map((row) => row.email))
}

export const restrictionsPrivacy = definePrivacyProvider({
  name: 'restrictions',
  stores: [
    {
      table: 'processing_restrictions',
      columns: ['email'],
      purpose: 'Honouring a request to restrict or object to processing',
      legalBasis: 'legal_obligation',
      retention: 'Until the restriction is lifted or the person is erased',
    },
  ],
  notPersonal: [{ table: 'processing_restrictions', columns: ['kind', 'request_id'], reason: 'The kind of restriction and the request that set it' }],
  retainedAfterErasure: [],
  async export(db, subject) {
    const [row] = await db
      .select()
      .from(processingRestrictions)
      .where(eq(processingRestrictions.email, normalized(subject.email)))
    return { restriction: row ? { kind: row.kind, since: row.createdAt } : null }
  },
  async erase(db, subject) {
    await db.delete(processingRestrictions).where(eq(processingRestrictions.email, normalized(subject.email)))
  },
})
