import type { RequestAuth } from '../../platform/http/auth.ts'
import type { Platform } from '../../platform/platform.ts'
import { normalizeEmail, verifiedEmailsOf } from '../identity/service.ts'

/** Whether the signed-in account is the person the credential was issued to: any of its verified addresses counts. */
export async function isCredentialHolder(platform: Platform, auth: RequestAuth | null, credential: { recipientEmail: string | null }): Promise<boolean> {
  if (!auth || !credential.recipientEmail) return false
  const recipient = normalizeEmail(credential.recipientEmail)
  if (normalizeEmail(auth.email) === recipient) return true
  return (await verifiedEmailsOf(platform, auth.accountId)).includes(recipient)
}
