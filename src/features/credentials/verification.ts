import type { Platform } from '../../platform/platform.ts'
import { documentLoader } from './loader.ts'
import { findPublicCredential } from './queries.ts'
import { type VerificationReport, verifyCredential, verifyPresentation } from './signing/verify.ts'
import { publicUrls } from './urls.ts'

export type { VerificationReport }

/**
 * Checks a credential from anywhere: signature, issuer, status, validity dates and the OB 3.0 schema.
 * For credentials issued here it also folds in a suspension, which OB 3.0 credentials cannot carry
 * in their single status entry.
 */
export async function verifyDocument(platform: Platform, document: unknown): Promise<VerificationReport> {
  const report = await verifyCredential(document, { documentLoader: documentLoader(platform), now: platform.clock.now() })
  if (report.verdict !== 'valid') return report
  const credentialId = ourCredentialIdOf(platform, document)
  const issued = credentialId ? await findPublicCredential(platform.db, credentialId) : undefined
  if (!issued?.credential.suspendedAt) return report
  return {
    verdict: 'suspended',
    checks: report.checks.map((check) =>
      check.name === 'status'
        ? { name: 'status', ok: false, detail: `suspended by its issuer on ${issued.credential.suspendedAt?.toISOString().slice(0, 10)}` }
        : check,
    ),
  }
}

export function verifyPresentationDocument(platform: Platform, presentation: unknown, options: { challenge?: string; domain?: string }) {
  return verifyPresentation(presentation, { documentLoader: documentLoader(platform), ...options })
}

/** The ID of the credential a document says it is, when that is one issued here (its `id` is our public URL). */
export function ourCredentialIdOf(platform: Platform, document: unknown): string | undefined {
  const id = (document as { id?: unknown } | null)?.id
  if (typeof id !== 'string') return undefined
  const credentialId = credentialIdFrom(id)
  return credentialId && id === publicUrls(platform.config).credential(credentialId) ? credentialId : undefined
}

/** A credential ID (`cred_…`) or any URL that contains one: our public page, its JSON, a share link. */
export function credentialIdFrom(text: string): string | undefined {
  return /\bcred_[0-9a-z]{26}\b/.exec(text.trim())?.[0]
}

/** Verifies one of our credentials by ID or URL; undefined when no such credential exists here. */
export async function verifyById(platform: Platform, idOrUrl: string): Promise<{ credentialId: string; report: VerificationReport } | undefined> {
  const credentialId = credentialIdFrom(idOrUrl)
  if (!credentialId) return undefined
  const found = await findPublicCredential(platform.db, credentialId)
  if (!found) return undefined
  return { credentialId, report: await verifyDocument(platform, found.credential.document) }
}
