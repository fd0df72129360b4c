import { and, asc, count, eq, inArray, isNotNull, isNull, ne, sql } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { InvalidError, NotFoundError } from '../../../platform/errors.ts'
import type { Platform } from '../../../platform/platform.ts'
import { isTimeZone } from '../../../platform/time-zones.ts'
import { getAchievement } from '../../credentials/service.ts'
import { getMember, type OrgScope, type Page, requireRole } from '../../orgs/service.ts'
import { exams, proctors, rooms, testCentres } from '../schema.ts'

export type Exam = typeof exams.$inferSelect
export type TestCentre = typeof testCentres.$inferSelect
export type Room = typeof rooms.$inferSelect
export type Proctor = typeof proctors.$inferSelect

export interface ExamInput {
  code: string
  title: string
  durationMinutes: number
  passMark: number
  maxScore: number
  achievementId: string | null
  /** Minutes before an exam session's start that check-in opens (default 60). */
  checkInOpensMinutesBefore?: number
  /** Minutes before an exam session's start that results can be recorded (default 0). */
  resultsOpenMinutesBefore?: number
}
export interface CentreInput {
  code: string
  name: string
  timeZone: string
}
export interface RoomInput {
  name: string
  capacity: number
}
export interface ProctorInput {
  name: string
  email: string
  memberId: string | null
  /** Who the proctor is at the org's testing portal; null or absent when not there (or unchanged on update when absent). */
  portalProctorId?: string | null
}

/** Portal proctor IDs: 1 to 64 printable characters, no spaces at either end. */
export const PORTAL_PROCTOR_ID = /^[!-~](?:[ -~]{0,62}[!-~])?$/

export const CATALOG_PAGE_SIZE = 25

type CatalogTable = typeof exams | typeof testCentres | typeof rooms | typeof proctors
const ENTITY: [CatalogTable, string][] = [
  [exams, 'exam'],
  [testCentres, 'test_centre'],
  [rooms, 'room'],
  [proctors, 'proctor'],
]
const entityOf = (table: CatalogTable) => ENTITY.find(([candidate]) => candidate === table)?.[1] ?? 'catalog_item'

/** Inserts or updates one catalog row of the caller's org and writes its audit entry, in one transaction. */
async function save<T extends CatalogTable>(
  platform: Platform,
  scope: OrgScope,
  table: T,
  id: string | undefined,
  values: Record<string, unknown>,
  check: (tx: Db) => Promise<void>,
): Promise<T['$inferSelect']> {
  requireRole(scope, 'staff')
  const entity = entityOf(table)
  return platform.db.transaction(async (tx) => {
    await check(tx)
    const [row] = (
      id
        ? await tx
            .update(table as CatalogTable)
            .set(values as never)
            .where(and(eq(table.orgId, scope.orgId), eq(table.id, id)))
            .returning()
        : await tx
            .insert(table as CatalogTable)
            .values({ ...values, orgId: scope.orgId } as never)
            .returning()
    ) as T['$inferSelect'][]
    if (!row) throw new NotFoundError(entity, id)
    await platform.audit.recordIn(tx, {
      action: `exams.${entity}_${id ? 'updated' : 'created'}`,
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: (row as { id: string }).id,
    })
    return row as T['$inferSelect']
  })
}

/** Archived catalog items take no new exam sessions; existing exam sessions keep them. */
export async function setArchived(platform: Platform, scope: OrgScope, table: CatalogTable, id: string, isArchived: boolean): Promise<void> {
  requireRole(scope, 'staff')
  const entity = entityOf(table)
  await platform.db.transaction(async (tx) => {
    const updated = await tx
      .update(table)
      .set({ archivedAt: isArchived ? platform.clock.now() : null })
      .where(and(eq(table.orgId, scope.orgId), eq(table.id, id)))
      .returning({ id: table.id })
    if (updated.length === 0) throw new NotFoundError(entity, id)
    await platform.audit.recordIn(tx, {
      action: `exams.${entity}_${isArchived ? 'archived' : 'restored'}`,
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: id,
    })
  })
}

async function one<T extends CatalogTable>(db: Db, scope: { orgId: string }, table: T, id: string): Promise<T['$inferSelect']> {
  const [row] = await db
    .select()
    .from(table as CatalogTable)
    .where(and(eq(table.orgId, scope.orgId), eq(table.id, id)))
  if (!row) throw new NotFoundError(entityOf(table), id)
  return row as T['$inferSelect']
}

async function page<T extends typeof exams | typeof testCentres | typeof proctors>(
  db: Db,
  scope: { orgId: string },
  table: T,
  orderBy: ReturnType<typeof sql>,
  options: { isArchived?: boolean; page?: number },
): Promise<Page<T['$inferSelect']>> {
  const pageNumber = Math.max(1, options.page ?? 1)
  const where = and(eq(table.orgId, scope.orgId), options.isArchived ? isNotNull(table.archivedAt) : isNull(table.archivedAt))
  const [totals] = await db
    .select({ total: count() })
    .from(table as CatalogTable)
    .where(where)
  const items = await db
    .select()
    .from(table as CatalogTable)
    .where(where)
    .orderBy(asc(orderBy), asc(table.id))
    .limit(CATALOG_PAGE_SIZE)
    .offset((pageNumber - 1) * CATALOG_PAGE_SIZE)
  const total = totals?.total ?? 0
  return { items: items as T['$inferSelect'][], total, page: pageNumber, pageCount: Math.max(1, Math.ceil(total / CATALOG_PAGE_SIZE)) }
}

async function requireUniqueCode(tx: Db, table: typeof exams | typeof testCentres, scope: OrgScope, code: string, exceptId: string | undefined) {
  const [taken] = await tx
    .select({ id: table.id })
    .from(table as typeof exams)
    .where(and(eq(table.orgId, scope.orgId), sql`lower(${table.code}) = lower(${code})`, exceptId ? ne(table.id, exceptId) : undefined))
  if (taken) throw new InvalidError('code_taken', `The code ${code} is already used.`, { code: `The code ${code} is already used; choose another.` })
}

// Exams

export async function saveExam(platform: Platform, scope: OrgScope, input: ExamInput, examId?: string): Promise<Exam> {
  if (input.passMark > input.maxScore) {
    throw new InvalidError('pass_mark_above_max', 'The pass mark is above the maximum score.', { passMark: 'The pass mark cannot be above the maximum score.' })
  }
  return save(platform, scope, exams, examId, { ...input }, async (tx) => {
    await requireUniqueCode(tx, exams, scope, input.code, examId)
    if (input.achievementId) {
      const achievement = await getAchievement(tx, scope, input.achievementId).catch(() => undefined)
      if (!achievement || achievement.archivedAt) {
        throw new InvalidError('unknown_achievement', 'Choose one of your active achievements.', { achievementId: 'Choose one of your active achievements.' })
      }
    }
  })
}
export const getExam = (db: Db, scope: { orgId: string }, examId: string): Promise<Exam> => one(db, scope, exams, examId)
export const listExams = (db: Db, scope: { orgId: string }, options: { isArchived?: boolean; page?: number } = {}) =>
  page(db, scope, exams, sql`lower(${exams.code})`, options)

// Testing centres and their rooms

export async function saveCentre(platform: Platform, scope: OrgScope, input: CentreInput, centreId?: string): Promise<TestCentre> {
  if (!isTimeZone(input.timeZone)) {
    throw new InvalidError('invalid_time_zone', `Unknown time zone ${input.timeZone}.`, { timeZone: 'Choose a time zone from the list.' })
  }
  return save(platform, scope, testCentres, centreId, { ...input }, (tx) => requireUniqueCode(tx, testCentres, scope, input.code, centreId))
}
export const getCentre = (db: Db, scope: { orgId: string }, centreId: string): Promise<TestCentre> => one(db, scope, testCentres, centreId)
export const listCentres = (db: Db, scope: { orgId: string }, options: { isArchived?: boolean; page?: number } = {}) =>
  page(db, scope, testCentres, sql`lower(${testCentres.code})`, options)

export async function saveRoom(platform: Platform, scope: OrgScope, centreId: string, input: RoomInput, roomId?: string): Promise<Room> {
  return save(platform, scope, rooms, roomId, { ...input, centreId }, async (tx) => {
    await getCentre(tx, scope, centreId)
    if (roomId && (await getRoom(tx, scope, roomId)).centreId !== centreId) throw new NotFoundError('room', roomId)
    const [taken] = await tx
      .select({ id: rooms.id })
      .from(rooms)
      .where(and(eq(rooms.centreId, centreId), sql`lower(${rooms.name}) = lower(${input.name})`, roomId ? ne(rooms.id, roomId) : undefined))
    if (taken)
      throw new InvalidError('room_name_taken', `This centre already has a room ${input.name}.`, { name: 'This centre already has a room with that name.' })
  })
}
export const getRoom = (db: Db, scope: { orgId: string }, roomId: string): Promise<Room> => one(db, scope, rooms, roomId)
/** A centre's rooms, archived ones last; centres have few rooms, so no paging. */
/** The rooms of the given centres, in one query: active first, then by name. */
export async function listRooms(db: Db, scope: { orgId: string }, centreIds: string[]): Promise<Room[]> {
  if (centreIds.length === 0) return []
  return db
    .select()
    .from(rooms)
    .where(and(eq(rooms.orgId, scope.orgId), inArray(rooms.centreId, centreIds)))
    .orderBy(asc(sql`${rooms.archivedAt} is not null`), asc(sql`lower(${rooms.name})`))
}

// Proctors

export async function saveProctor(platform: Platform, scope: OrgScope, input: ProctorInput, proctorId?: string): Promise<Proctor> {
  const email = input.email.trim().toLowerCase()
  const portalProctorId = input.portalProctorId === undefined ? undefined : input.portalProctorId?.trim() || null
  if (portalProctorId && !PORTAL_PROCTOR_ID.test(portalProctorId)) {
    throw new InvalidError('invalid_portal_proctor_id', 'The portal proctor ID is 1 to 64 printable characters.', {
      portalProctorId: 'Up to 64 letters, digits and punctuation, as the portal shows it.',
    })
  }
  return save(platform, scope, proctors, proctorId, { ...input, email, portalProctorId }, async (tx) => {
    if (input.memberId) await getMember(tx, scope, input.memberId)
    const [taken] = await tx
      .select({ id: proctors.id })
      .from(proctors)
      .where(and(eq(proctors.orgId, scope.orgId), eq(proctors.email, email), proctorId ? ne(proctors.id, proctorId) : undefined))
    if (taken) throw new InvalidError('proctor_email_taken', `A proctor with ${email} exists.`, { email: 'A proctor with this email address exists already.' })
  })
}
export const getProctor = (db: Db, scope: { orgId: string }, proctorId: string): Promise<Proctor> => one(db, scope, proctors, proctorId)
export const listProctors = (db: Db, scope: { orgId: string }, options: { isArchived?: boolean; page?: number } = {}) =>
  page(db, scope, proctors, sql`lower(${proctors.name})`, options)

/** Every active item of a catalog list, for choosing in forms and filters (catalogs are small). */
export async function activeChoices(db: Db, scope: { orgId: string }) {
  const active = <T extends typeof exams | typeof testCentres | typeof proctors>(table: T) =>
    db
      .select()
      .from(table as CatalogTable)
      .where(and(eq(table.orgId, scope.orgId), isNull(table.archivedAt))) as Promise<T['$inferSelect'][]>
  const [examList, centreList, roomList, proctorList] = await Promise.all([
    active(exams),
    active(testCentres),
    db
      .select()
      .from(rooms)
      .where(and(eq(rooms.orgId, scope.orgId), isNull(rooms.archivedAt))),
    active(proctors),
  ])
  const byText = (a: string, b: string) => a.localeCompare(b)
  return {
    exams: examList.sort((a, b) => byText(a.code, b.code)),
    centres: centreList.sort((a, b) => byText(a.code, b.code)),
    rooms: roomList.sort((a, b) => byText(a.name, b.name)),
    proctors: proctorList.sort((a, b) => byText(a.name, b.name)),
  }
}
