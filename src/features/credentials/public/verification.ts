import type { Platform } from '../../../platform/platform.ts'
import type { ViewedCredential } from '../analytics/analytics.ts'
import { documentLoader, withDocument } from '../loader.ts'
import { type CredentialToVerify, findCredentialToVerify } from '../queries.ts'
import { isCompactJws, verifyJwtCredential } from '../signing/jwt.ts'
import {
  type ProofOutcome,
  type StatusOutcome,
  type VerificationReport,
  type VerifyOptions,
  verifyCredential,
  verifyIssuerRecord,
  verifyPresentation,
} from '../signing/verify.ts'
import { publicUrls } from '../urls.ts'

export type { VerificationReport }

/**
 * Checks a credential from anywhere, with an embedded proof or as a VC-JWT (a compact JWS string):
 * signature, issuer, status, validity dates and the OB 3.0 schema.
 * For credentials issued here it also folds in a suspension, which OB 3.0 credentials cannot carry
 * in their single status entry.
 */
export async function verifyDocument(platform: Platform, document: unknown): Promise<VerificationReport> {
  const report =
    typeof document === 'string' && isCompactJws(document)
      ? await verifyJwtCredential(document, verifyOptions(platform))
      : await verifyCredential(document, verifyOptions(platform))
  if (report.verdict !== 'valid') return report
  const credentialId = ourCredentialIdOf(platform, document)
  const issued = credentialId ? await credentialToVerify(platform, credentialId) : undefined
  return withSuspension(report, issued?.suspendedAt)
}

export function verifyPresentationDocument(platform: Platform, presentation: unknown, options: { challenge?: string; domain?: string }) {
  return verifyPresentation(presentation, { ...verifyOptions(platform), ...options })
}

function verifyOptions(platform: Platform): VerifyOptions {
  const memo = { proofs: platform.memo.table<ProofOutcome[]>('verified-proofs'), statusBits: platform.memo.table<StatusOutcome>('status-bits') }
  return { documentLoader: documentLoader(platform), now: platform.clock.now(), memo }
}

function withSuspension(report: VerificationReport, suspendedAt: Date | null | undefined): VerificationReport {
  if (report.verdict !== 'valid' || !suspendedAt) return report
  return {
    verdict: 'suspended',
    checks: report.checks.map((check) =>
      check.name === 'status' ? { name: 'status', ok: false, detail: `suspended by its issuer on ${suspendedAt.toISOString().slice(0, 10)}` } : check,
    ),
  }
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

const CREDENTIAL_TO_VERIFY_MEMO = 'credentials.to_verify'

/**
 * One of our credentials as verification reads it (see `findCredentialToVerify`), remembered for a
 * few seconds (platform.memo): every change to a credential's status, or to a status list, calls
 * `forgetStatusOf` once committed.
 */
function credentialToVerify(platform: Platform, credentialId: string): Promise<CredentialToVerify | undefined> {
  return platform.memo.table<CredentialToVerify>(CREDENTIAL_TO_VERIFY_MEMO).remember(
    credentialId,
    () => findCredentialToVerify(platform.db, credentialId),
    (found) => [found.id, found.revocationListId],
  )
}

/** Verifies one of our credentials by ID or URL; undefined when no such credential exists here. */
export async function verifyById(platform: Platform, idOrUrl: string): Promise<{ credential: ViewedCredential; report: VerificationReport } | undefined> {
  const credentialId = credentialIdFrom(idOrUrl)
  const found = credentialId ? await credentialToVerify(platform, credentialId) : undefined
  if (!found) return undefined
  const options = verifyOptions(platform)
  // The revocation list as read with the credential; a stale one (bits changed, not yet re-signed) is
  // left to the loader, which re-signs it first.
  if (found.revocationList && !found.isRevocationListStale) {
    const listUrl = publicUrls(platform.config).statusList(found.revocationListId)
    options.documentLoader = withDocument(options.documentLoader, listUrl, found.revocationList)
  }
  // An erased holder's credential keeps a verification record, not the signed file (see privacy.ts).
  const report = await (found.erasedAt ? verifyIssuerRecord : verifyCredential)(found.document, options)
  return { credential: found, report: withSuspension(report, found.suspendedAt) }
}
