import { and, eq } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { ConflictError, ForbiddenError, NotFoundError } from '../../../platform/errors.ts'
import type { RequestAuth } from '../../../platform/http/auth.ts'
import type { Platform } from '../../../platform/platform.ts'
import { hasRole, type OrgScope, requireRole, resolveOrgScope } from '../../orgs/service.ts'
import { isCredentialHolder } from '../holder.ts'
import type { CredentialRow } from '../issuance/issuance.ts'
import { credentialSettings, credentials, DISCLOSABLE_FIELDS, type DisclosableField, type ErasurePolicy } from '../schema.ts'

/** The fields an org publishes: all of them until it chooses. */
export function publishedFields(orgFields: DisclosableField[] | null | undefined): DisclosableField[] {
  return orgFields ?? [...DISCLOSABLE_FIELDS]
}

export async function orgPublicFields(db: Db, orgId: string): Promise<DisclosableField[]> {
  const [settings] = await db.select({ publicFields: credentialSettings.publicFields }).from(credentialSettings).where(eq(credentialSettings.orgId, orgId))
  return publishedFields(settings?.publicFields)
}

/** What a credential's public page shows: what the org allows, minus what the holder hid. */
export function disclosedFields(orgFields: DisclosableField[], credential: Pick<CredentialRow, 'holderHiddenFields'>): Set<DisclosableField> {
  return new Set(orgFields.filter((field) => !credential.holderHiddenFields.includes(field)))
}

function isFullyDisclosed(disclosed: Set<DisclosableField>): boolean {
  return DISCLOSABLE_FIELDS.every((field) => disclosed.has(field))
}

/** The holder and the issuing org's staff may always read the whole signed file, whatever the page hides. */
async function mayReadSignedFile(platform: Platform, auth: RequestAuth | null, credential: Pick<CredentialRow, 'recipientEmail' | 'orgId'>): Promise<boolean> {
  if (!auth) return false
  if (await isCredentialHolder(platform, auth, credential)) return true
  try {
    const scope = await resolveOrgScope(platform.db, { orgId: credential.orgId, accountId: auth.accountId, isPlatformAdmin: auth.isPlatformAdmin })
    return hasRole(scope.role, 'staff')
  } catch (error) {
    if (error instanceof NotFoundError) return false
    throw error
  }
}

export const SIGNED_FILE_ERASED =
  'The signed file of this credential was erased at its holder’s request; its issuer keeps only a verification record. A copy the holder kept still verifies.'

/**
 * Who may have the whole signed file (JSON, PDF or baked badge): anyone when the page hides nothing
 * ('public'), otherwise only the holder and the issuer's staff ('private', never from a shared cache);
 * nobody once its holder was erased (there is no signed file left).
 */
export async function signedFileAccess(
  platform: Platform,
  auth: RequestAuth | null,
  found: { credential: Pick<CredentialRow, 'recipientEmail' | 'orgId' | 'holderHiddenFields' | 'erasedAt'>; orgPublicFields: DisclosableField[] | null },
): Promise<'public' | 'private' | 'denied'> {
  if (found.credential.erasedAt) throw new ConflictError('signed_file_erased', SIGNED_FILE_ERASED)
  if (isFullyDisclosed(disclosedFields(publishedFields(found.orgPublicFields), found.credential))) return 'public'
  return (await mayReadSignedFile(platform, auth, found.credential)) ? 'private' : 'denied'
}

export async function setOrgPublicFields(platform: Platform, scope: OrgScope, fields: DisclosableField[]): Promise<void> {
  requireRole(scope, 'admin')
  await platform.db.transaction(async (tx) => {
    await tx
      .insert(credentialSettings)
      .values({ orgId: scope.orgId, publicFields: fields })
      .onConflictDoUpdate({ target: credentialSettings.orgId, set: { publicFields: fields, updatedAt: platform.clock.now() } })
    await platform.audit.recordIn(tx, {
      action: 'credentials.public_fields_changed',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      data: { fields },
    })
  })
}

export const ERASURE_POLICY_LABELS: Record<ErasurePolicy, string> = {
  keep_record:
    'Keep a verification record (recommended): the email address, deliveries, statistics, result and evidence are erased; the credential ID, holder’s name, achievement, issue date and status stay, so the credential still verifies by ID and the holder’s own copies still verify.',
  revoke:
    'Withdraw the credential: the same data is erased and the credential is revoked; its page says it was withdrawn at the holder’s request and shows no name. Holders may also ask for this themselves.',
}

export async function orgErasurePolicy(db: Db, orgId: string): Promise<ErasurePolicy> {
  const [settings] = await db.select({ erasurePolicy: credentialSettings.erasurePolicy }).from(credentialSettings).where(eq(credentialSettings.orgId, orgId))
  return settings?.erasurePolicy ?? 'keep_record'
}

/** What erasing a holder does to the org's credentials (see privacy.ts). */
export async function setErasurePolicy(platform: Platform, scope: OrgScope, erasurePolicy: ErasurePolicy): Promise<void> {
  requireRole(scope, 'admin')
  await platform.db.transaction(async (tx) => {
    await tx
      .insert(credentialSettings)
      .values({ orgId: scope.orgId, erasurePolicy })
      .onConflictDoUpdate({ target: credentialSettings.orgId, set: { erasurePolicy, updatedAt: platform.clock.now() } })
    await platform.audit.recordIn(tx, {
      action: 'credentials.erasure_policy_changed',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      data: { erasurePolicy },
    })
  })
}

/**
 * The holder narrows what their credential's public page shows (they cannot show more than the org
 * allows) and chooses whether search engines may index it.
 */
export async function setHolderChoices(
  platform: Platform,
  auth: RequestAuth | null,
  credentialId: string,
  choices: { hiddenFields: DisclosableField[]; isIndexable: boolean },
): Promise<void> {
  const [credential] = await platform.db.select().from(credentials).where(eq(credentials.id, credentialId))
  if (!credential) throw new NotFoundError('credential', credentialId)
  if (!(await isCredentialHolder(platform, auth, credential)))
    throw new ForbiddenError('not_holder', 'Only the person this credential was issued to can change what its page shows.')
  await platform.db
    .update(credentials)
    .set({ holderHiddenFields: choices.hiddenFields, isIndexable: choices.isIndexable })
    .where(and(eq(credentials.id, credentialId), eq(credentials.orgId, credential.orgId)))
}

/** The fields ticked in a form of `show_<field>` checkboxes. */
export function fieldsFromForm(body: unknown): DisclosableField[] {
  const values = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  return DISCLOSABLE_FIELDS.filter((field) => values[`show_${field}`] === 'on')
}
