import { eq } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { ConflictError } from '../../../platform/errors.ts'
import type { Platform } from '../../../platform/platform.ts'
import { type OrgScope, requireRole } from '../../orgs/service.ts'
import { credentialDetails } from '../credential-details.ts'
import { getCredential } from '../queries.ts'
import { credentials } from '../schema.ts'
import { forgetStatusOf, revokeCredential } from '../status.ts'
import { publicUrls } from '../urls.ts'
import { type CredentialRow, issueCredentials } from './issuance.ts'

export const SUPERSEDED = 'superseded'

export interface Correction {
  recipientName?: string
  validFrom?: Date
  /** A date, or null for no expiry. */
  validUntil?: Date | null
}

/**
 * Corrects a credential by issuing a new one that names it (`replaces`); in the same transaction the
 * old one is revoked as superseded and the holder is told by email. History is kept, never rewritten.
 */
export async function reissueCredential(platform: Platform, scope: OrgScope, credentialId: string, correction: Correction): Promise<CredentialRow> {
  requireRole(scope, 'staff')
  const old = await getCredential(platform.db, scope, credentialId)
  if (old.revokedAt) throw new ConflictError('credential_revoked', 'A revoked credential cannot be corrected; issue a new one instead.')
  const { achievementId, recipientEmail } = old
  if (!achievementId || !recipientEmail) {
    throw new ConflictError('credential_not_reissuable', 'Only credentials issued from an achievement to an email address can be corrected here.')
  }
  const urls = publicUrls(platform.config)
  const [outcome] = await issueCredentials(
    platform,
    scope,
    [
      {
        achievementId,
        recipientEmail,
        recipientName: correction.recipientName ?? old.recipientName,
        validFrom: correction.validFrom ?? old.validFrom,
        validUntil: correction.validUntil === undefined ? old.validUntil : correction.validUntil,
        ...credentialDetails(old.document),
        replacesCredentialId: old.id,
        locale: old.locale,
      },
    ],
    {
      alsoInTransaction: async (tx, [issued]) => {
        if (!issued) return
        await revokeCredential(platform, scope, old.id, SUPERSEDED, tx)
        await tx.update(credentials).set({ holderHiddenFields: old.holderHiddenFields }).where(eq(credentials.id, issued.id))
        await platform.mailer.send(tx, {
          to: recipientEmail,
          orgId: scope.orgId,
          subject: `Your credential "${String(old.document.name ?? 'credential')}" was corrected`,
          text: [
            `Hello ${issued.recipientName},`,
            '',
            'The issuer corrected your credential. The corrected one is here:',
            urls.credential(issued.id),
            '',
            `It replaces ${urls.credential(old.id)}, which now shows as superseded and links to the new one.`,
            'If you added the old one to a profile or a wallet, please replace it there too.',
          ].join('\n'),
        })
      },
    },
  )
  if (!outcome) throw new Error('The corrected credential was not issued.')
  await forgetStatusOf(platform, old)
  return outcome.credential
}

/** The credentials around one in its correction history: the one it replaces and the one that replaced it. */
export async function lineageOf(db: Db, credential: Pick<CredentialRow, 'id' | 'replacesCredentialId' | 'revocationReason'>) {
  // Only a superseded credential has a replacement: others need no query.
  const [replacement] =
    credential.revocationReason === SUPERSEDED
      ? await db.select({ id: credentials.id }).from(credentials).where(eq(credentials.replacesCredentialId, credential.id))
      : []
  return { replaces: credential.replacesCredentialId, replacedBy: replacement?.id ?? null }
}
