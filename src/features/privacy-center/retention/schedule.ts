import { and, desc, eq, gt } from 'drizzle-orm'
import type { WorkerTask } from '../../../platform/feature.ts'
import { startSweeper } from '../../../platform/jobs/sweeper.ts'
import type { Platform } from '../../../platform/platform.ts'
import { runRetention } from './engine.ts'
import { retentionRuns } from './schema.ts'

const DAY_MS = 24 * 3600_000
const CHECK_INTERVAL_MS = 3600_000
// Not at once: a worker that just started (a deploy, a test) has other work first.
const FIRST_CHECK_MS = 5 * 60_000

/** Runs retention when the last scheduled run is a day old (or there was none); returns whether it ran. */
export async function runRetentionIfDue(platform: Platform): Promise<boolean> {
  const now = platform.clock.now()
  const [recent] = await platform.db
    .select({ id: retentionRuns.id })
    .from(retentionRuns)
    .where(and(eq(retentionRuns.trigger, 'schedule'), gt(retentionRuns.ranAt, new Date(now.getTime() - DAY_MS))))
    .orderBy(desc(retentionRuns.ranAt))
    .limit(1)
  if (recent) return false
  await runRetention(platform, { dryRun: false, trigger: 'schedule' })
  return true
}

/**
 * The daily retention run, checked hourly in every worker (first a few minutes after it starts): the jobs module has no cron, and a run
 * records itself in `retention_runs`, so whichever worker checks first after a day runs it (the
 * engine's lock keeps two from overlapping; the later one then finds nothing left to remove).
 */
export const startRetentionSchedule = (platform: Platform): WorkerTask =>
  startSweeper(platform, { what: 'retention run', intervalMs: CHECK_INTERVAL_MS, firstDelayMs: FIRST_CHECK_MS, sweep: runRetentionIfDue })
