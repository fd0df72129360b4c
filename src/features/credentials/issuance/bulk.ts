import { createHash } from 'node:crypto'
import { and, eq, inArray, isNull } from 'drizzle-orm'
import { csvRowKey, isValidDate, parseCsvUpload } from '../../../platform/csv.ts'
import { ConflictError, NotFoundError } from '../../../platform/errors.ts'
import type { Platform } from '../../../platform/platform.ts'
import { normalizeEmail } from '../../identity/service.ts'
import { type OrgScope, requireRole } from '../../orgs/service.ts'
import { achievements, type BulkRow, bulkIssuances, credentials } from '../schema.ts'

const REQUIRED_COLUMNS = ['email', 'name', 'achievement'] as const
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export interface RowProblem {
  line: number
  reason: string
}

export interface BulkPreview {
  id: string
  fileName: string
  totalRows: number
  validRows: number
  alreadyIssued: number
  problems: RowProblem[]
}

/** The key that makes a CSV row issue at most once: same org, achievement, recipient and date. */
export function rowIdempotencyKey(orgId: string, achievementId: string, email: string, validFrom: string): string {
  return csvRowKey([orgId, achievementId, email, validFrom])
}

/**
 * Reads a CSV of recipients (columns email, name, achievement — an ID or exact name — and an optional
 * date, YYYY-MM-DD) and checks every row. Nothing is issued: the preview is stored until confirmed.
 * Rows already issued by an earlier upload are counted, not issued again.
 */
export async function previewBulkIssuance(platform: Platform, scope: OrgScope, file: { fileName: string; content: Buffer }): Promise<BulkPreview> {
  requireRole(scope, 'staff')
  const records = parseCsvUpload(file.content, { required: REQUIRED_COLUMNS, expected: 'email, name, achievement, date (optional)' })

  const orgAchievements = await platform.db
    .select({ id: achievements.id, name: achievements.name })
    .from(achievements)
    .where(and(eq(achievements.orgId, scope.orgId), isNull(achievements.archivedAt)))
  const byId = new Map(orgAchievements.map((achievement) => [achievement.id, achievement.id]))
  const byName = new Map(orgAchievements.map((achievement) => [achievement.name.toLowerCase(), achievement.id]))
  const today = platform.clock.now().toISOString().slice(0, 10)

  const problems: RowProblem[] = []
  const rows: BulkRow[] = []
  const seen = new Map<string, number>()
  records.forEach((record, i) => {
    const line = i + 2
    const email = normalizeEmail(record.email ?? '')
    const name = (record.name ?? '').trim()
    const achievementText = (record.achievement ?? '').trim()
    const date = (record.date ?? '').trim() || today
    const achievementId = byId.get(achievementText) ?? byName.get(achievementText.toLowerCase())
    const reason = !EMAIL.test(email)
      ? `bad email "${record.email ?? ''}"`
      : name === ''
        ? 'missing name'
        : name.length > 200
          ? 'name longer than 200 characters'
          : !achievementId
            ? `unknown achievement "${achievementText}"`
            : !isValidDate(date)
              ? `bad date "${date}" (use YYYY-MM-DD)`
              : undefined
    if (reason || !achievementId) {
      problems.push({ line, reason: reason ?? 'unknown achievement' })
      return
    }
    const duplicateKey = `${email}\n${achievementId}\n${date}`
    const firstLine = seen.get(duplicateKey)
    if (firstLine !== undefined) {
      problems.push({ line, reason: `duplicate of line ${firstLine}` })
      return
    }
    seen.set(duplicateKey, line)
    rows.push({ line, email, name, achievementId, validFrom: date, idempotencyKey: rowIdempotencyKey(scope.orgId, achievementId, email, date) })
  })
  const issuedKeys = new Set<string>()
  for (let start = 0; start < rows.length; start += 5000) {
    const keys = rows.slice(start, start + 5000).map((row) => row.idempotencyKey)
    const found = await platform.db
      .select({ key: credentials.idempotencyKey })
      .from(credentials)
      .where(and(eq(credentials.orgId, scope.orgId), inArray(credentials.idempotencyKey, keys)))
    for (const { key } of found) if (key) issuedKeys.add(key)
  }
  const toIssue = rows.filter((row) => !issuedKeys.has(row.idempotencyKey))
  const [bulk] = await platform.db
    .insert(bulkIssuances)
    .values({
      orgId: scope.orgId,
      fileName: file.fileName.slice(0, 200),
      fileSha256: createHash('sha256').update(file.content).digest('hex'),
      rows: toIssue,
      totalRows: records.length,
      validRows: toIssue.length,
      alreadyIssued: rows.length - toIssue.length,
      createdByAccountId: scope.accountId,
    })
    .returning()
  if (!bulk) throw new Error('The preview was not stored.')
  return { id: bulk.id, fileName: bulk.fileName, totalRows: bulk.totalRows, validRows: bulk.validRows, alreadyIssued: bulk.alreadyIssued, problems }
}

export async function getBulkIssuance(platform: Platform, scope: OrgScope, bulkIssuanceId: string) {
  const [bulk] = await platform.db
    .select()
    .from(bulkIssuances)
    .where(and(eq(bulkIssuances.orgId, scope.orgId), eq(bulkIssuances.id, bulkIssuanceId)))
  if (!bulk) throw new NotFoundError('bulk_issuance', bulkIssuanceId)
  return bulk
}

/** Starts issuing a previewed upload in a job; confirming twice starts nothing new. */
export async function confirmBulkIssuance(
  platform: Platform,
  scope: OrgScope,
  bulkIssuanceId: string,
  enqueue: (db: Platform['db'], bulkIssuanceId: string) => Promise<string>,
): Promise<string> {
  requireRole(scope, 'staff')
  return platform.db.transaction(async (tx) => {
    const [bulk] = await tx
      .select()
      .from(bulkIssuances)
      .where(and(eq(bulkIssuances.orgId, scope.orgId), eq(bulkIssuances.id, bulkIssuanceId)))
      .for('update')
    if (!bulk) throw new NotFoundError('bulk_issuance', bulkIssuanceId)
    if (bulk.jobId) return bulk.jobId
    if (bulk.validRows === 0) throw new ConflictError('nothing_to_issue', 'Every valid row of this file was already issued: there is nothing new to issue.')
    const jobId = await enqueue(tx, bulk.id)
    await tx.update(bulkIssuances).set({ state: 'issuing', jobId }).where(eq(bulkIssuances.id, bulk.id))
    await platform.audit.recordIn(tx, {
      action: 'credentials.bulk_confirmed',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: bulk.id,
      data: { rows: bulk.validRows },
    })
    return jobId
  })
}
