import type { RequestAuth } from '../../platform/http/auth.ts'
import type { Platform } from '../../platform/platform.ts'

/**
 * Whether the signed-in account is the person the credential was issued to. The one place that
 * decides it: accounts with several verified emails should be matched here.
 */
export async function isCredentialHolder(_platform: Platform, auth: RequestAuth | null, credential: { recipientEmail: string | null }): Promise<boolean> {
  return Boolean(auth && credential.recipientEmail && auth.email.toLowerCase() === credential.recipientEmail.toLowerCase())
}
