import { and, asc, count, gt, inArray } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import type { RequestAuth } from '../../platform/http/auth.ts'
import type { Platform } from '../../platform/platform.ts'
import { normalizeEmail, verifiedEmailsOf } from '../identity/service.ts'
import type { CredentialRow } from './issuance/issuance.ts'
import { credentials } from './schema.ts'

/** Whether the signed-in account is the person the credential was issued to: any of its verified addresses counts. */
export async function isCredentialHolder(platform: Platform, auth: RequestAuth | null, credential: { recipientEmail: string | null }): Promise<boolean> {
  if (!auth || !credential.recipientEmail) return false
  const recipient = normalizeEmail(credential.recipientEmail)
  if (normalizeEmail(auth.email) === recipient) return true
  return (await verifiedEmailsOf(platform, auth.accountId)).includes(recipient)
}

/** The signed credential file a holder downloads (`/credentials/<id>.json`), byte for byte. */
export function signedCredentialFile(credential: CredentialRow): { fileName: string; content: string } {
  return { fileName: `${credential.id}.json`, content: JSON.stringify(credential.document, null, 2) }
}

export async function countHeldCredentials(db: Db, emails: string[]): Promise<number> {
  if (emails.length === 0) return 0
  const [row] = await db.select({ total: count() }).from(credentials).where(inArray(credentials.recipientEmail, emails))
  return row?.total ?? 0
}

/** The credentials issued to any of these addresses, in ID order, `limit` at a time after `afterId` (erased ones have no address left). */
export async function listHeldCredentials(db: Db, emails: string[], options: { afterId?: string; limit: number }): Promise<CredentialRow[]> {
  if (emails.length === 0) return []
  return db
    .select()
    .from(credentials)
    .where(and(inArray(credentials.recipientEmail, emails), options.afterId ? gt(credentials.id, options.afterId) : undefined))
    .orderBy(asc(credentials.id))
    .limit(options.limit)
}
