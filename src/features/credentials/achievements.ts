import { and, count, eq, ilike, inArray, isNotNull, isNull, or, sql } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import { escapeLike } from '../../platform/db/columns.ts'
import { orderByOf, resolveSort, type SortableColumns, type SortQuery } from '../../platform/db/sort.ts'
import { NotFoundError } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import { type OrgScope, requireRole } from '../orgs/service.ts'
import type { CheckedImage } from './images/images.ts'
import { type Alignment, achievements } from './schema.ts'

export type Achievement = typeof achievements.$inferSelect

export interface AchievementInput {
  name: string
  description: string
  criteria: string
  tags: string[]
  alignments: Alignment[]
  validityMonths: number | null
  image?: CheckedImage
}

export async function createAchievement(platform: Platform, scope: OrgScope, input: AchievementInput): Promise<Achievement> {
  requireRole(scope, 'staff')
  return platform.db.transaction(async (tx) => {
    const { image, ...fields } = input
    const [achievement] = await tx
      .insert(achievements)
      .values({ ...fields, orgId: scope.orgId, imageData: image?.data ?? null, imageType: image?.type ?? null })
      .returning()
    if (!achievement) throw new Error('The achievement was not stored.')
    await platform.audit.recordIn(tx, {
      action: 'credentials.achievement_created',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: achievement.id,
    })
    return achievement
  })
}

export async function updateAchievement(platform: Platform, scope: OrgScope, achievementId: string, input: AchievementInput): Promise<Achievement> {
  requireRole(scope, 'staff')
  return platform.db.transaction(async (tx) => {
    await getAchievement(tx, scope, achievementId)
    const { image, ...fields } = input
    const [achievement] = await tx
      .update(achievements)
      .set({ ...fields, ...(image ? { imageData: image.data, imageType: image.type } : {}) })
      .where(and(eq(achievements.orgId, scope.orgId), eq(achievements.id, achievementId)))
      .returning()
    if (!achievement) throw new NotFoundError('achievement', achievementId)
    await platform.audit.recordIn(tx, { action: 'credentials.achievement_updated', orgId: scope.orgId, actorAccountId: scope.accountId, target: achievementId })
    return achievement
  })
}

/** Archived achievements issue nothing new; credentials already issued from them stay valid. */
export async function setAchievementArchived(platform: Platform, scope: OrgScope, achievementId: string, isArchived: boolean): Promise<void> {
  requireRole(scope, 'staff')
  await platform.db.transaction(async (tx) => {
    const updated = await tx
      .update(achievements)
      .set({ archivedAt: isArchived ? platform.clock.now() : null })
      .where(and(eq(achievements.orgId, scope.orgId), eq(achievements.id, achievementId)))
      .returning({ id: achievements.id })
    if (updated.length === 0) throw new NotFoundError('achievement', achievementId)
    await platform.audit.recordIn(tx, {
      action: isArchived ? 'credentials.achievement_archived' : 'credentials.achievement_restored',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: achievementId,
    })
  })
}

export async function getAchievement(db: Db, scope: { orgId: string }, achievementId: string): Promise<Achievement> {
  const [achievement] = await db
    .select()
    .from(achievements)
    .where(and(eq(achievements.orgId, scope.orgId), eq(achievements.id, achievementId)))
  if (!achievement) throw new NotFoundError('achievement', achievementId)
  return achievement
}

/** For public pages: an achievement by its unguessable ID, whichever org it belongs to. */
/** The names of the org's achievements among `achievementIds`, by ID (other orgs' and unknown IDs left out). */
export async function achievementNamesOf(db: Db, scope: { orgId: string }, achievementIds: string[]): Promise<Map<string, string>> {
  if (achievementIds.length === 0) return new Map()
  const rows = await db
    .select({ id: achievements.id, name: achievements.name })
    .from(achievements)
    .where(and(eq(achievements.orgId, scope.orgId), inArray(achievements.id, achievementIds)))
  return new Map(rows.map((row) => [row.id, row.name]))
}

export async function findPublicAchievement(db: Db, achievementId: string): Promise<Achievement | undefined> {
  const [achievement] = await db.select().from(achievements).where(eq(achievements.id, achievementId))
  return achievement
}

export const ACHIEVEMENT_PAGE_SIZE = 25

export const ACHIEVEMENT_SORT: SortableColumns<'name' | 'validity'> = {
  columns: { name: sql`lower(${achievements.name})`, validity: achievements.validityMonths },
  defaultSort: { key: 'name', direction: 'asc' },
  tieBreaker: achievements.id,
}

export async function listAchievements(
  db: Db,
  scope: OrgScope,
  options: { search?: string; tag?: string; isArchived?: boolean; page?: number } & SortQuery = {},
) {
  const page = Math.max(1, options.page ?? 1)
  const sort = resolveSort(ACHIEVEMENT_SORT, options)
  const search = options.search?.trim()
  const where = and(
    eq(achievements.orgId, scope.orgId),
    options.isArchived ? isNotNull(achievements.archivedAt) : isNull(achievements.archivedAt),
    search ? or(ilike(achievements.name, `%${escapeLike(search)}%`), ilike(achievements.description, `%${escapeLike(search)}%`)) : undefined,
    options.tag ? sql`${achievements.tags} ? ${options.tag}` : undefined,
  )
  const [totals] = await db.select({ total: count() }).from(achievements).where(where)
  const items = await db
    .select({
      id: achievements.id,
      name: achievements.name,
      description: achievements.description,
      tags: achievements.tags,
      validityMonths: achievements.validityMonths,
      hasImage: sql<boolean>`${achievements.imageData} is not null`,
      archivedAt: achievements.archivedAt,
    })
    .from(achievements)
    .where(where)
    .orderBy(...orderByOf(ACHIEVEMENT_SORT, sort))
    .limit(ACHIEVEMENT_PAGE_SIZE)
    .offset((page - 1) * ACHIEVEMENT_PAGE_SIZE)
  const total = totals?.total ?? 0
  return { items, total, page, pageCount: Math.max(1, Math.ceil(total / ACHIEVEMENT_PAGE_SIZE)), sort }
}
