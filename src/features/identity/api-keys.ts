import { and, desc, eq, isNull } from 'drizzle-orm'
import { hashToken } from '../../platform/crypto/hashing.ts'
import type { Db } from '../../platform/db/client.ts'
import { NotFoundError } from '../../platform/errors.ts'
import { newSecret } from '../../platform/ids.ts'
import type { Platform } from '../../platform/platform.ts'
import { accounts, apiKeys } from './schema.ts'

export const API_KEY_PREFIX = 'lrl_'
const LAST_USED_GRANULARITY_MS = 60_000

export type ApiKey = typeof apiKeys.$inferSelect
export type ApiKeyScope = 'read' | 'write'

/** Creates a personal API key for one org; the returned `secret` is shown once and only its hash is kept. */
export async function createApiKey(
  platform: Platform,
  input: { accountId: string; orgId: string; name: string; scope: ApiKeyScope },
): Promise<{ apiKey: ApiKey; secret: string }> {
  const secret = `${API_KEY_PREFIX}${newSecret()}`
  return platform.db.transaction(async (tx) => {
    const [apiKey] = await tx
      .insert(apiKeys)
      .values({ ...input, name: input.name.trim(), prefix: secret.slice(0, API_KEY_PREFIX.length + 6), keyHash: hashToken(secret) })
      .returning()
    if (!apiKey) throw new Error('The API key was not stored.')
    await platform.audit.recordIn(tx, {
      action: 'identity.api_key_created',
      actorAccountId: input.accountId,
      orgId: input.orgId,
      target: apiKey.id,
      data: { scope: input.scope },
    })
    return { apiKey, secret }
  })
}

export async function listApiKeys(db: Db, accountId: string): Promise<ApiKey[]> {
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAt)))
    .orderBy(desc(apiKeys.createdAt))
}

export async function revokeApiKey(platform: Platform, accountId: string, apiKeyId: string): Promise<void> {
  const revoked = await platform.db
    .update(apiKeys)
    .set({ revokedAt: platform.clock.now() })
    .where(and(eq(apiKeys.accountId, accountId), eq(apiKeys.id, apiKeyId), isNull(apiKeys.revokedAt)))
    .returning()
  if (revoked.length === 0) throw new NotFoundError('api_key', apiKeyId)
  await platform.audit.recordIn(platform.db, { action: 'identity.api_key_revoked', actorAccountId: accountId, orgId: revoked[0]?.orgId, target: apiKeyId })
}

/** Revokes every key an account holds for one org (used when the member leaves the org). */
export async function revokeApiKeysForOrg(db: Db, accountId: string, orgId: string, now: Date): Promise<void> {
  await db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.accountId, accountId), eq(apiKeys.orgId, orgId), isNull(apiKeys.revokedAt)))
}

export async function resolveApiKey(platform: Platform, secret: string) {
  if (!secret.startsWith(API_KEY_PREFIX)) return undefined
  const [row] = await platform.db
    .select({ apiKey: apiKeys, account: accounts })
    .from(apiKeys)
    .innerJoin(accounts, eq(accounts.id, apiKeys.accountId))
    .where(and(eq(apiKeys.keyHash, hashToken(secret)), isNull(apiKeys.revokedAt)))
  if (!row) return undefined
  const now = platform.clock.now()
  if (!row.apiKey.lastUsedAt || now.getTime() - row.apiKey.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
    await platform.db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, row.apiKey.id))
  }
  return row
}
