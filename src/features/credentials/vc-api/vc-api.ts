import { eq } from 'drizzle-orm'
import { MalformedError } from '../../../platform/errors.ts'
import { newId } from '../../../platform/ids.ts'
import type { Platform } from '../../../platform/platform.ts'
import { type OrgScope, requireRole } from '../../orgs/service.ts'
import { getIssuingSigner } from '../issuance/issuer.ts'
import { documentLoader } from '../loader.ts'
import { achievements, credentials } from '../schema.ts'
import { bundledContextContent, CREDENTIALS_V2_URL } from '../signing/contexts.ts'
import { checkCredentialDataModel, DATA_MODEL_RULES, MALFORMED_VALUE_ERROR, PARSING_ERROR, RuleViolation } from '../signing/data-model.ts'
import { digestProblem, type KnownContent } from '../signing/digests.ts'
import { SIGNING_CRYPTOSUITES, type SigningCryptosuite, type SignOptions, signCredential } from '../signing/sign.ts'
import { statusEntry } from '../signing/status-list.ts'
import { isJsonLdError } from '../signing/verify.ts'
import { allocateStatusSlots, lockStatusAllocation } from '../status.ts'
import { publicUrls } from '../urls.ts'

type Json = Record<string, unknown>
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value])

/** A problem+json 400 naming the rule broken (`code`, `type`) and where (`errors[].field`, a JSON pointer). */
export class CredentialRuleError extends MalformedError {
  override problemType = MALFORMED_VALUE_ERROR
  constructor(violation: RuleViolation) {
    const where = `rule ${violation.rule} at ${violation.pointer}, ${DATA_MODEL_RULES[violation.rule]}`
    super(violation.rule, `${violation.message.replace(/\.$/, '')} (${where}).`, { [violation.pointer]: violation.message })
  }
}

/**
 * Checks a credential sent to `POST /credentials/issue` before anything is signed: the signing library
 * would sign all of these defects without complaint, producing credentials no verifier should accept.
 */
export async function validateCredentialForIssuance(platform: Platform, credential: unknown): Promise<Json> {
  try {
    checkCredentialDataModel(credential, '/credential')
    await checkRelatedResourceDigests(platform, credential)
  } catch (error) {
    if (error instanceof RuleViolation) throw new CredentialRuleError(error)
    throw error
  }
  return credential
}

/** The VC-API issue `options` Laurel acts on: `cryptosuite`, one of SIGNING_CRYPTOSUITES (the org's default suite when absent). */
export function signOptionsFor(options: Record<string, unknown> | undefined): SignOptions {
  const cryptosuite = options?.cryptosuite
  if (cryptosuite === undefined) return {}
  if (!SIGNING_CRYPTOSUITES.includes(cryptosuite as SigningCryptosuite)) {
    const message = `Laurel signs with ${SIGNING_CRYPTOSUITES.join(' or ')}, not ${JSON.stringify(cryptosuite)}.`
    throw new MalformedError('unsupported_cryptosuite', message, { '/options/cryptosuite': message })
  }
  return { cryptosuite: cryptosuite as SigningCryptosuite }
}

/** Every digest must be well-formed; those of resources Laurel holds (bundled contexts, achievement images) must match. */
async function checkRelatedResourceDigests(platform: Platform, credential: Json): Promise<void> {
  const resources = asList(credential.relatedResource) as Json[]
  for (const [index, resource] of resources.entries()) {
    const at = Array.isArray(credential.relatedResource) ? `/credential/relatedResource/${index}` : '/credential/relatedResource'
    const problem = digestProblem(resource, await contentWeHold(platform, String(resource.id)))
    if (problem) {
      throw new RuleViolation('vc.related-resources', at, `relatedResource ${String(resource.id)}: ${problem}.`)
    }
  }
}

/** What Laurel holds of a URL's content: a bundled context, or one of our own achievement images. */
async function contentWeHold(platform: Platform, url: string): Promise<KnownContent | undefined> {
  const context = bundledContextContent(url)
  if (context) return context
  const match = /\/achievements\/(ach_[a-z0-9]+)\/image$/.exec(url)
  if (!match || !url.startsWith(platform.config.publicUrl.origin)) return undefined
  const [row] = await platform.db
    .select({ data: achievements.imageData })
    .from(achievements)
    .where(eq(achievements.id, match[1] ?? ''))
  return row?.data ? { files: [row.data], publishedSha256: [] } : undefined
}

/**
 * Signs a caller's own credential as the org's issuer. Laurel adds an `id` (its public URL) when the
 * credential has none and, to VC 2.0 credentials, a revocation and a suspension
 * BitstringStatusListEntry after the caller's own `credentialStatus` entries, which are kept as sent.
 */
export async function issueFromDocument(platform: Platform, scope: OrgScope, credential: Json, options: SignOptions = {}): Promise<Json> {
  requireRole(scope, 'staff')
  const { signer, cryptosuite } = await getIssuingSigner(platform, scope.orgId, options)
  const issuerId = typeof credential.issuer === 'string' ? credential.issuer : (credential.issuer as Json).id
  if (issuerId !== signer.did) {
    throw new CredentialRuleError(new RuleViolation('vc.issuer', '/credential/issuer', `"issuer" must be this organisation's DID, ${signer.did}.`))
  }
  const urls = publicUrls(platform.config)
  const isVc2 = (credential['@context'] as unknown[])[0] === CREDENTIALS_V2_URL
  return platform.db.transaction(async (tx) => {
    await lockStatusAllocation(tx, scope.orgId)
    const [slot] = await allocateStatusSlots(platform, tx, scope.orgId, 1, signer)
    if (!slot) throw new Error('No status slot was allocated.')
    const id = newId('cred')
    const document: Json = {
      ...credential,
      id: credential.id ?? urls.credential(id),
      // Bitstring status entries are defined by the VC 2.0 context; 1.1 credentials are signed as sent.
      ...(isVc2
        ? {
            credentialStatus: [
              ...asList(credential.credentialStatus),
              statusEntry({ statusListCredentialUrl: urls.statusList(slot.revocationListId), index: slot.revocationIndex, purpose: 'revocation' }),
              statusEntry({ statusListCredentialUrl: urls.statusList(slot.suspensionListId), index: slot.suspensionIndex, purpose: 'suspension' }),
            ],
          }
        : {}),
    }
    let signed: Json
    try {
      signed = await signCredential(document, signer, documentLoader(platform), { ...options, cryptosuite })
    } catch (error) {
      // JSON-LD safe mode refuses terms no context defines, and redefined protected terms: the caller's document is at fault.
      if (!isJsonLdError(error)) throw error
      const problem = new MalformedError('jsonld_unreadable', `The credential cannot be read as JSON-LD, so it cannot be signed: ${(error as Error).message}`)
      problem.problemType = PARSING_ERROR
      throw problem
    }
    const subject = asList(credential.credentialSubject)[0] as Json | undefined
    await tx.insert(credentials).values({
      id,
      orgId: scope.orgId,
      recipientName: typeof subject?.name === 'string' ? subject.name : '',
      validFrom: typeof credential.validFrom === 'string' ? new Date(credential.validFrom) : platform.clock.now(),
      validUntil: typeof credential.validUntil === 'string' ? new Date(credential.validUntil) : null,
      document: signed,
      ...slot,
      issuedByAccountId: scope.accountId,
    })
    await platform.audit.recordIn(tx, {
      action: 'credentials.issued',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: id,
      data: { via: 'vc-api' },
    })
    return signed
  })
}
