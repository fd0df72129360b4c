import { createHash, randomBytes } from 'node:crypto'
import { and, eq, inArray } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { insertMany } from '../../../platform/db/insert-many.ts'
import { ConflictError, NotFoundError } from '../../../platform/errors.ts'
import type { Locale } from '../../../platform/i18n/locales.ts'
import { newId } from '../../../platform/ids.ts'
import type { Platform } from '../../../platform/platform.ts'
import { normalizeEmail } from '../../identity/service.ts'
import { getOrg, type OrgScope, requireRole } from '../../orgs/service.ts'
import { type Achievement, getAchievement } from '../achievements.ts'
import { queueCredentialEmails } from '../delivery/delivery.ts'
import { documentLoader } from '../loader.ts'
import { achievements, credentials } from '../schema.ts'
import { type SigningCryptosuite, signCredential } from '../signing/sign.ts'
import { statusEntry } from '../signing/status-list.ts'
import { allocateStatusSlots, lockStatusAllocation, type StatusSlot } from '../status.ts'
import { publicUrls } from '../urls.ts'
import { getIssuingSigner, type IssuerProfile, type IssuerSigner, issuerProfile } from './issuer.ts'

export type CredentialRow = typeof credentials.$inferSelect

export const OB3_CONTEXTS = ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json']

/** Neither VC 2.0 nor OB 3.0 names "replaces"; Dublin Core does, and an inline context needs no fetching. */
export const LINEAGE_CONTEXT = { replaces: { '@id': 'http://purl.org/dc/terms/replaces', '@type': '@id' } }

/** A test or exam result carried inside the credential (OB 3.0 `result` and `resultDescription`). */
export interface ResultInput {
  score: number
  passMark: number
  maxScore?: number
  /** When the test or exam was taken; becomes `activityEndDate`. */
  takenOn?: Date
}

export interface EvidenceInput {
  url?: string
  name?: string
  narrative?: string
}

export interface IssueInput {
  achievementId: string
  recipientEmail: string
  recipientName: string
  validFrom?: Date
  /** Overrides the achievement's validity: a date, or null for no expiry. */
  validUntil?: Date | null
  result?: ResultInput
  evidence?: EvidenceInput[]
  /** Same key in the same org issues once: a repeated request returns the first credential. */
  idempotencyKey?: string
  /** Set by re-issuance only: the credential this one corrects. */
  replacesCredentialId?: string
  /** The language of its page, certificate and email; the org's default locale when not given. */
  locale?: Locale
}

export interface IssueOutcome {
  credential: CredentialRow
  isNew: boolean
}

/** Signs many documents at once with the org's suite; the bulk job passes a worker pool, single issuance signs in-process. */
export type BatchSigner = (documents: Record<string, unknown>[], signer: IssuerSigner, cryptosuite: SigningCryptosuite) => Promise<Record<string, unknown>[]>

export function addMonths(date: Date, months: number): Date {
  const result = new Date(date)
  result.setUTCMonth(result.getUTCMonth() + months)
  return result
}

/** The recipient as OB 3.0 allows: a salted SHA-256 of the email address, never the address itself. */
export function hashedEmailIdentifier(email: string) {
  const salt = randomBytes(12).toString('hex')
  const hash = createHash('sha256')
    .update(`${normalizeEmail(email)}${salt}`)
    .digest('hex')
  return { type: 'IdentityObject', identityHash: `sha256$${hash}`, identityType: 'emailAddress', hashed: true, salt }
}

export function buildCredentialDocument(
  platform: Platform,
  input: {
    id: string
    achievement: Achievement
    issuer: IssuerProfile
    recipientEmail: string
    recipientName: string
    validFrom: Date
    validUntil: Date | null
    slot: StatusSlot
    result?: ResultInput
    evidence?: EvidenceInput[]
    replacesCredentialId?: string
  },
): Record<string, unknown> {
  const urls = publicUrls(platform.config)
  const { achievement, result, evidence } = input
  const achievementUrl = urls.achievement(achievement.id)
  const resultDescriptionId = `${achievementUrl}#score`
  return {
    '@context': input.replacesCredentialId ? [...OB3_CONTEXTS, LINEAGE_CONTEXT] : OB3_CONTEXTS,
    id: urls.credential(input.id),
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: input.issuer,
    name: achievement.name,
    validFrom: input.validFrom.toISOString(),
    ...(input.validUntil ? { validUntil: input.validUntil.toISOString() } : {}),
    ...(input.replacesCredentialId ? { replaces: urls.credential(input.replacesCredentialId) } : {}),
    credentialSubject: {
      type: ['AchievementSubject'],
      name: input.recipientName,
      identifier: [hashedEmailIdentifier(input.recipientEmail)],
      ...(result
        ? {
            result: [{ type: ['Result'], resultDescription: resultDescriptionId, value: String(result.score), status: 'Completed' }],
            ...(result.takenOn ? { activityEndDate: result.takenOn.toISOString() } : {}),
          }
        : {}),
      achievement: {
        id: achievementUrl,
        type: ['Achievement'],
        name: achievement.name,
        description: achievement.description,
        criteria: { narrative: achievement.criteria },
        ...(achievement.imageType ? { image: { id: urls.achievementImage(achievement.id), type: 'Image' } } : {}),
        ...(achievement.tags.length > 0 ? { tag: achievement.tags } : {}),
        ...(achievement.alignments.length > 0 ? { alignment: achievement.alignments.map((alignment) => ({ type: ['Alignment'], ...alignment })) } : {}),
        ...(result
          ? {
              resultDescription: [
                {
                  id: resultDescriptionId,
                  type: ['ResultDescription'],
                  name: 'Score',
                  resultType: 'RawScore',
                  valueMin: '0',
                  ...(result.maxScore === undefined ? {} : { valueMax: String(result.maxScore) }),
                  requiredValue: String(result.passMark),
                },
              ],
            }
          : {}),
      },
    },
    ...(evidence && evidence.length > 0
      ? {
          evidence: evidence.map((item) => ({
            type: ['Evidence'],
            ...(item.url ? { id: item.url } : {}),
            ...(item.name ? { name: item.name } : {}),
            ...(item.narrative ? { narrative: item.narrative } : {}),
          })),
        }
      : {}),
    // Open Badges 3.0 allows one credentialStatus (its official JSON Schema requires an object), so
    // OB 3.0 credentials carry the revocation entry only; suspension is kept by Laurel and reported by
    // Laurel's verification (see verification.ts). VC-API credentials carry both entries.
    credentialStatus: statusEntry({
      statusListCredentialUrl: urls.statusList(input.slot.revocationListId),
      index: input.slot.revocationIndex,
      purpose: 'revocation',
    }),
  }
}

/** Signs in this process, one after the other: right for single credentials and small batches. */
function signInProcess(platform: Platform): BatchSigner {
  const loader = documentLoader(platform)
  return async (documents, signer, cryptosuite) => {
    const signed: Record<string, unknown>[] = []
    for (const document of documents) signed.push((await signCredential(document, signer, loader, { cryptosuite })) as Record<string, unknown>)
    return signed
  }
}

/**
 * Issues credentials for the given inputs in one transaction: skips inputs whose idempotency key was
 * already used, allocates status slots, signs (with `signBatch`, in workers for bulk runs) and stores.
 */
export async function issueCredentials(
  platform: Platform,
  scope: OrgScope,
  inputs: IssueInput[],
  options: {
    signBatch?: BatchSigner
    bulkIssuanceId?: string
    /** Runs in the issuing transaction after the new credentials are stored; a throw issues nothing. */
    alsoInTransaction?: (tx: Db, issued: CredentialRow[]) => Promise<void>
  } = {},
): Promise<IssueOutcome[]> {
  requireRole(scope, 'staff')
  const signBatch = options.signBatch ?? signInProcess(platform)
  const { signer, cryptosuite } = await getIssuingSigner(platform, scope.orgId)
  const org = await getOrg(platform.db, scope)
  const issuer = issuerProfile(platform, org, signer)
  return platform.db.transaction(async (tx) => {
    const keys = inputs.flatMap((input) => (input.idempotencyKey ? [input.idempotencyKey] : []))
    const existing =
      keys.length > 0
        ? await tx
            .select()
            .from(credentials)
            .where(and(eq(credentials.orgId, scope.orgId), inArray(credentials.idempotencyKey, keys)))
        : []
    const existingByKey = new Map(existing.map((row) => [row.idempotencyKey, row]))
    const fresh = inputs.filter((input) => !input.idempotencyKey || !existingByKey.has(input.idempotencyKey))

    const achievementIds = [...new Set(fresh.map((input) => input.achievementId))]
    const achievementRows =
      achievementIds.length > 0
        ? await tx
            .select()
            .from(achievements)
            .where(and(eq(achievements.orgId, scope.orgId), inArray(achievements.id, achievementIds)))
        : []
    const achievementsById = new Map(achievementRows.map((row) => [row.id, row]))
    for (const id of achievementIds) {
      const achievement = achievementsById.get(id) ?? (await getAchievement(tx, scope, id))
      if (achievement.archivedAt) throw new ConflictError('achievement_archived', `${achievement.name} is archived; restore it to issue it again.`)
    }
    await lockStatusAllocation(tx, scope.orgId)
    const slots = await allocateStatusSlots(platform, tx, scope.orgId, fresh.length, signer)
    const now = platform.clock.now()
    const prepared = fresh.map((input, i) => {
      const achievement = achievementsById.get(input.achievementId)
      const slot = slots[i]
      if (!achievement || !slot) throw new NotFoundError('achievement', input.achievementId)
      const validFrom = input.validFrom ?? now
      const validUntil =
        input.validUntil !== undefined ? input.validUntil : achievement.validityMonths ? addMonths(validFrom, achievement.validityMonths) : null
      const id = newId('cred')
      const recipientEmail = normalizeEmail(input.recipientEmail)
      const document = buildCredentialDocument(platform, {
        id,
        achievement,
        issuer,
        recipientEmail,
        recipientName: input.recipientName.trim(),
        validFrom,
        validUntil,
        slot,
        result: input.result,
        evidence: input.evidence,
        replacesCredentialId: input.replacesCredentialId,
      })
      return { id, input, recipientEmail, validFrom, validUntil, slot, document }
    })
    const signed = await signBatch(
      prepared.map((item) => item.document),
      signer,
      cryptosuite,
    )
    if (signed.length !== prepared.length) throw new Error('Signing returned a different number of credentials.')
    const values = prepared.map((item, i) => ({
      id: item.id,
      orgId: scope.orgId,
      achievementId: item.input.achievementId,
      recipientEmail: item.recipientEmail,
      recipientName: item.input.recipientName.trim(),
      validFrom: item.validFrom,
      validUntil: item.validUntil,
      document: signed[i] ?? {},
      ...item.slot,
      idempotencyKey: item.input.idempotencyKey ?? null,
      bulkIssuanceId: options.bulkIssuanceId ?? null,
      issuedByAccountId: scope.accountId,
      replacesCredentialId: item.input.replacesCredentialId ?? null,
      locale: item.input.locale ?? org.defaultLocale,
    }))
    // Only what the database fills in comes back: returning the signed documents too made the insert
    // take about a third longer.
    const stored = await insertMany(tx, credentials, values, ['id', 'createdAt'])
    const createdAtById = new Map(stored.map((row) => [row.id, row.createdAt]))
    const rows: CredentialRow[] = values.map((value) => {
      const createdAt = createdAtById.get(value.id)
      if (!createdAt) throw new Error('An issued credential was not stored.')
      return { ...value, revokedAt: null, revocationReason: null, suspendedAt: null, isIndexable: false, holderHiddenFields: [], erasedAt: null, createdAt }
    })
    if (rows.length > 0) {
      await platform.audit.recordIn(tx, {
        action: 'credentials.issued',
        orgId: scope.orgId,
        actorAccountId: scope.accountId,
        target: rows.length === 1 ? rows[0]?.id : options.bulkIssuanceId,
        data: { count: rows.length },
      })
    }
    await queueCredentialEmails(platform, tx, scope.orgId, rows)
    await options.alsoInTransaction?.(tx, rows)
    const rowsById = new Map(rows.map((row) => [row.id, row]))
    let freshIndex = 0
    return inputs.map((input) => {
      const previous = input.idempotencyKey ? existingByKey.get(input.idempotencyKey) : undefined
      if (previous) return { credential: previous, isNew: false }
      const row = rowsById.get(prepared[freshIndex++]?.id ?? '')
      if (!row) throw new Error('An issued credential was not stored.')
      return { credential: row, isNew: true }
    })
  })
}

export async function issueCredential(platform: Platform, scope: OrgScope, input: IssueInput): Promise<IssueOutcome> {
  const [outcome] = await issueCredentials(platform, scope, [input])
  if (!outcome) throw new Error('The credential was not issued.')
  return outcome
}
