import { createHash } from 'node:crypto'
import { and, eq, inArray, isNull } from 'drizzle-orm'
import { type CsvFormat, csvRowKey, isValidDate, parseCsvUpload, problemOf, quoted, type RowProblem } from '../../../platform/csv.ts'
import { ConflictError, NotFoundError } from '../../../platform/errors.ts'
import type { Platform } from '../../../platform/platform.ts'
import { normalizeEmail } from '../../identity/service.ts'
import { type OrgScope, requireRole } from '../../orgs/service.ts'
import { achievements, type BulkRow, bulkIssuances, credentials } from '../schema.ts'

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** The columns of a bulk-issuance file. */
export const BULK_ISSUANCE_CSV: CsvFormat = {
  columns: [
    { name: 'email', examples: ['ada@example.org', 'alan@example.org'] },
    { name: 'name', examples: ['Ada Lovelace', 'Alan Turing'] },
    { name: 'achievement', note: 'its ID or exact name', examples: ['First Aid at Work', 'First Aid at Work'] },
    { name: 'date', isOptional: true, note: 'YYYY-MM-DD, today when empty', examples: ['2026-01-31', ''] },
  ],
}

/** A row that will be issued, as the preview shows it. */
export interface BulkPreviewRow {
  line: number
  email: string
  name: string
  achievementName: string
  validFrom: string
}

export interface BulkPreview {
  id: string
  fileName: string
  totalRows: number
  validRows: number
  alreadyIssued: number
  /** The rows to issue, in file order. */
  toIssue: BulkPreviewRow[]
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
  const upload = parseCsvUpload(file.content, BULK_ISSUANCE_CSV)

  const orgAchievements = await platform.db
    .select({ id: achievements.id, name: achievements.name })
    .from(achievements)
    .where(and(eq(achievements.orgId, scope.orgId), isNull(achievements.archivedAt)))
  const byId = new Map(orgAchievements.map((achievement) => [achievement.id, achievement.id]))
  const byName = new Map(orgAchievements.map((achievement) => [achievement.name.toLowerCase(), achievement.id]))
  const nameOf = new Map(orgAchievements.map((achievement) => [achievement.id, achievement.name]))
  const today = platform.clock.now().toISOString().slice(0, 10)

  const problems = [...upload.problems]
  const rows: BulkRow[] = []
  const seen = new Map<string, number>()
  for (const { line, values } of upload.rows) {
    const email = normalizeEmail(values.email ?? '')
    const name = (values.name ?? '').trim()
    const achievementText = (values.achievement ?? '').trim()
    const date = (values.date ?? '').trim() || today
    const achievementId = byId.get(achievementText) ?? byName.get(achievementText.toLowerCase())
    const duplicateKey = `${email}\n${achievementId}\n${date}`
    const firstLine = seen.get(duplicateKey)
    const problem = problemOf(line, [
      !EMAIL.test(email) && `bad email ${quoted(values.email)}`,
      name === '' && 'missing name',
      name.length > 200 && 'name longer than 200 characters',
      !achievementId && `unknown achievement ${quoted(achievementText)}`,
      !isValidDate(date) && `bad date ${quoted(date)} (use YYYY-MM-DD)`,
      firstLine !== undefined && `duplicate of line ${firstLine}`,
    ])
    if (problem || !achievementId) {
      if (problem) problems.push(problem)
      continue
    }
    seen.set(duplicateKey, line)
    rows.push({ line, email, name, achievementId, validFrom: date, idempotencyKey: rowIdempotencyKey(scope.orgId, achievementId, email, date) })
  }
  problems.sort((a, b) => a.line - b.line)
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
      totalRows: upload.totalRows,
      validRows: toIssue.length,
      alreadyIssued: rows.length - toIssue.length,
      createdByAccountId: scope.accountId,
    })
    .returning()
  if (!bulk) throw new Error('The preview was not stored.')
  return {
    id: bulk.id,
    fileName: bulk.fileName,
    totalRows: bulk.totalRows,
    validRows: bulk.validRows,
    alreadyIssued: bulk.alreadyIssued,
    toIssue: toIssue.map((row) => ({
      line: row.line,
      email: row.email,
      name: row.name,
      achievementName: nameOf.get(row.achievementId) ?? '',
      validFrom: row.validFrom,
    })),
    problems,
  }
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
