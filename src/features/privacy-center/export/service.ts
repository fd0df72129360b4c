import { and, asc, desc, eq, getTableColumns, gt, inArray, isNull, lte } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { NotFoundError, TooManyError } from '../../../platform/errors.ts'
import { jobProgress } from '../../../platform/jobs/schema.ts'
import type { Platform } from '../../../platform/platform.ts'
import type { Subject } from '../../../platform/privacy/registry.ts'
import { buildDataExportJob } from './jobs.ts'
import { dataExports } from './schema.ts'

/** How long a finished export can be downloaded, counted from the request. */
export const EXPORT_LIFETIME_DAYS = 7
const DAY_MS = 24 * 3600_000
const EXPORT_LIFETIME_MS = EXPORT_LIFETIME_DAYS * DAY_MS
const LISTED_EXPORTS = 20

export type DataExportState = 'building' | 'failed' | 'ready' | 'expired'

export interface DataExportView {
  id: string
  state: DataExportState
  createdAt: Date
  completedAt: Date | null
  expiresAt: Date
  sizeBytes: number | null
  fileCount: number | null
  jobId: string | null
  progress: { state: string; done: number; total: number; message: string | null } | null
}

/** Who asked, for the audit entry: the person themself by default, or staff answering their request. */
export interface ExportActor {
  accountId: string | null
  orgId?: string | null
  ip?: string | null
  userAgent?: string | null
}

const { zipEncrypted: _zip, ...listedColumns } = getTableColumns(dataExports)
const viewColumns = {
  ...listedColumns,
  progressState: jobProgress.state,
  progressDone: jobProgress.done,
  progressTotal: jobProgress.total,
  progressMessage: jobProgress.message,
}

function selectViews(db: Db) {
  return db.select(viewColumns).from(dataExports).leftJoin(jobProgress, eq(jobProgress.jobId, dataExports.jobId))
}

type ViewRow = Awaited<ReturnType<ReturnType<typeof selectViews>['execute']>>[number]

function viewOf(row: ViewRow, now: Date): DataExportView {
  const state: DataExportState = row.expiresAt <= now ? 'expired' : row.status === 'ready' ? 'ready' : row.progressState === 'failed' ? 'failed' : 'building'
  return {
    id: row.id,
    state,
    createdAt: row.createdAt,
    completedAt: row.completedAt,
    expiresAt: row.expiresAt,
    sizeBytes: row.sizeBytes,
    fileCount: row.fileCount,
    jobId: row.jobId,
    progress:
      row.progressState === null
        ? null
        : { state: row.progressState, done: row.progressDone ?? 0, total: row.progressTotal ?? 0, message: row.progressMessage },
  }
}

/** Each export renders every credential's PDF and is kept for a week: a person may ask a few times a day, not without end. */
export const EXPORTS_PER_DAY = 5

async function checkDailyLimit(db: Db, accountId: string, now: Date): Promise<void> {
  const since = new Date(now.getTime() - DAY_MS)
  const recent = await db
    .select({ createdAt: dataExports.createdAt })
    .from(dataExports)
    .where(and(eq(dataExports.accountId, accountId), isNull(dataExports.requestId), gt(dataExports.createdAt, since)))
    .orderBy(asc(dataExports.createdAt))
  const oldest = recent[0]
  if (recent.length < EXPORTS_PER_DAY || !oldest) return
  const retryAfterSeconds = Math.ceil((oldest.createdAt.getTime() + DAY_MS - now.getTime()) / 1000)
  throw new TooManyError(
    'data_export_limit',
    `You asked for your data ${EXPORTS_PER_DAY} times in the last 24 hours. Download one of those copies, or ask again in ${Math.ceil(retryAfterSeconds / 3600)} hours.`,
    retryAfterSeconds,
  )
}

/**
 * Starts building a ZIP of everything Laurel holds about the subject ("download all my data"), in a
 * job, and audits the request (`privacy.export_requested`). A person who already has an export being
 * built gets that one rather than a second; past `EXPORTS_PER_DAY` in 24 hours, a TooManyError
 * (`data_export_limit`). `requestId` links the export to the privacy request staff
 * answer with it; staff pass themselves as `actor`.
 */
export async function requestDataExport(
  platform: Platform,
  subject: Subject,
  options: { requestId?: string; actor?: ExportActor } = {},
): Promise<DataExportView> {
  const now = platform.clock.now()
  const exportId = await platform.db.transaction(async (tx) => {
    // The person asking themself, not staff answering a request.
    if (subject.accountId && !options.requestId) {
      const [building] = await tx
        .select({ id: dataExports.id })
        .from(dataExports)
        .leftJoin(jobProgress, eq(jobProgress.jobId, dataExports.jobId))
        .where(and(eq(dataExports.accountId, subject.accountId), eq(dataExports.status, 'building'), inArray(jobProgress.state, ['queued', 'running'])))
      if (building) return building.id
      await checkDailyLimit(tx, subject.accountId, now)
    }
    const [created] = await tx
      .insert(dataExports)
      .values({
        accountId: subject.accountId,
        email: subject.email,
        requestId: options.requestId ?? null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + EXPORT_LIFETIME_MS),
      })
      .returning({ id: dataExports.id })
    if (!created) throw new Error('The export was not stored.')
    const jobId = await platform.jobs.enqueue(tx, buildDataExportJob, { exportId: created.id }, { accountId: subject.accountId })
    await tx.update(dataExports).set({ jobId }).where(eq(dataExports.id, created.id))
    const actor = options.actor ?? { accountId: subject.accountId }
    await platform.audit.recordIn(tx, {
      action: 'privacy.export_requested',
      orgId: actor.orgId ?? null,
      actorAccountId: actor.accountId,
      target: created.id,
      data: {
        email: subject.email,
        ...(subject.accountId ? { accountId: subject.accountId } : {}),
        ...(options.requestId ? { requestId: options.requestId } : {}),
      },
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
    })
    return created.id
  })
  return getDataExportById(platform, exportId)
}

/** One export, whoever it belongs to: for the staff request queue, which checks its own scope first. */
export async function getDataExportById(platform: Platform, exportId: string): Promise<DataExportView> {
  const [row] = await selectViews(platform.db).where(eq(dataExports.id, exportId))
  if (!row) throw new NotFoundError('data_export', exportId)
  return viewOf(row, platform.clock.now())
}

/** The newest export made to answer a privacy request, or null: for the staff request page, which checks its own scope first. */
export async function latestExportForRequest(platform: Platform, requestId: string): Promise<DataExportView | null> {
  const [row] = await selectViews(platform.db).where(eq(dataExports.requestId, requestId)).orderBy(desc(dataExports.createdAt), desc(dataExports.id)).limit(1)
  return row ? viewOf(row, platform.clock.now()) : null
}

/** One of the account's own exports; another person's is "not found", exactly as one that does not exist. */
export async function getDataExport(platform: Platform, accountId: string, exportId: string): Promise<DataExportView> {
  const [row] = await selectViews(platform.db).where(and(eq(dataExports.id, exportId), eq(dataExports.accountId, accountId)))
  if (!row) throw new NotFoundError('data_export', exportId)
  return viewOf(row, platform.clock.now())
}

/** The account's exports, newest first. */
export async function listDataExports(platform: Platform, accountId: string): Promise<DataExportView[]> {
  const rows = await selectViews(platform.db)
    .where(eq(dataExports.accountId, accountId))
    .orderBy(desc(dataExports.createdAt), desc(dataExports.id))
    .limit(LISTED_EXPORTS)
  const now = platform.clock.now()
  return rows.map((row) => viewOf(row, now))
}

export type ExportDownload = { kind: 'file'; fileName: string; bytes: Buffer } | { kind: 'unavailable'; export: DataExportView }

export function exportFileName(view: Pick<DataExportView, 'createdAt'>): string {
  return `laurel-my-data-${view.createdAt.toISOString().slice(0, 10)}.zip`
}

async function downloadExport(platform: Platform, view: DataExportView, actor: ExportActor): Promise<ExportDownload> {
  if (view.state !== 'ready') return { kind: 'unavailable', export: view }
  const [row] = await platform.db.select({ zip: dataExports.zipEncrypted }).from(dataExports).where(eq(dataExports.id, view.id))
  if (!row?.zip) return { kind: 'unavailable', export: view }
  const bytes = await platform.keyring.decryptBytes(row.zip)
  platform.audit.record({
    action: 'privacy.export_downloaded',
    orgId: actor.orgId ?? null,
    actorAccountId: actor.accountId,
    target: view.id,
    ip: actor.ip ?? null,
    userAgent: actor.userAgent ?? null,
  })
  return { kind: 'file', fileName: exportFileName(view), bytes }
}

/**
 * The ZIP of the account's own export, decrypted, with an audit entry (`privacy.export_downloaded`);
 * an export still building or past its expiry is `unavailable`, and another person's is not found.
 */
export async function downloadDataExport(
  platform: Platform,
  accountId: string,
  exportId: string,
  origin: { ip?: string | null; userAgent?: string | null },
): Promise<ExportDownload> {
  return downloadExport(platform, await getDataExport(platform, accountId, exportId), { accountId, ...origin })
}

/** Any export's ZIP, audited as downloaded by `actor`: for the staff request queue, which checks its own scope first. */
export async function downloadDataExportForRequest(platform: Platform, exportId: string, actor: ExportActor): Promise<ExportDownload> {
  return downloadExport(platform, await getDataExportById(platform, exportId), actor)
}

/** Deletes every export past its expiry, ZIP and all (with `dryRun`, only counts them); returns how many. */
export async function deleteExpiredDataExports(db: Db, now: Date, options: { dryRun?: boolean } = {}): Promise<number> {
  const expired = lte(dataExports.expiresAt, now)
  if (options.dryRun) return db.$count(dataExports, expired)
  return (await db.delete(dataExports).where(expired).returning({ id: dataExports.id })).length
}
