import { desc, sql } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import type { Platform } from '../../../platform/platform.ts'
import { eraseSubject, type PrivacyProvider, RETENTION_ACTIONS, type RetentionRule, type Subject } from '../../../platform/privacy/registry.ts'
import { runRule } from '../../../platform/privacy/retention.ts'
import { withinBounds } from '../categories.ts'
import { privacySettings } from '../schema.ts'
import { type RetentionRuleCount, type RetentionTrigger, retentionRuns } from './schema.ts'

/** One rule as the engine runs it, with the provider and stored data that declare it. */
export interface DeclaredRule {
  provider: string
  table: string
  rule: RetentionRule
}

export interface RuleOutcome extends DeclaredRule {
  count: number
}

export interface RetentionReport {
  ranAt: Date
  dryRun: boolean
  outcomes: RuleOutcome[]
}

// Held for a whole run, so the daily job, "Run now" and the command never run rules side by side.
const RETENTION_LOCK = 7_340_012

/** Every provider's rules, in the order the engine runs them (by RETENTION_ACTIONS, then as declared). */
export function declaredRules(providers: PrivacyProvider[]): DeclaredRule[] {
  const rules = providers.flatMap((provider) =>
    provider.stores.flatMap((stored) => (stored.rules ?? []).map((rule) => ({ provider: provider.name, table: stored.table, rule }))),
  )
  return rules.sort((a, b) => RETENTION_ACTIONS.indexOf(a.rule.action) - RETENTION_ACTIONS.indexOf(b.rule.action))
}

/** Each org's chosen period (days) for each rule that allows a choice, kept within the rule's bounds. */
export async function chosenPeriods(db: Db, rules: DeclaredRule[]): Promise<Map<string, Map<string, number>>> {
  const rows = await db.select({ orgId: privacySettings.orgId, retentionDays: privacySettings.retentionDays }).from(privacySettings)
  const byRule = new Map<string, Map<string, number>>()
  for (const { rule } of rules) {
    const bounds = rule.boundsDays
    if (!bounds) continue
    const byOrg = new Map<string, number>()
    for (const row of rows) {
      const days = row.retentionDays[rule.key]
      if (typeof days === 'number') byOrg.set(row.orgId, withinBounds(bounds, days))
    }
    byRule.set(rule.key, byOrg)
  }
  return byRule
}

async function applyRules(db: Db, rules: DeclaredRule[], now: Date, dryRun: boolean, erase?: (subject: Subject) => Promise<void>): Promise<RuleOutcome[]> {
  const periods = await chosenPeriods(db, rules)
  const outcomes: RuleOutcome[] = []
  for (const declared of rules) {
    const count = await runRule(db, declared.rule, { now, dryRun, orgPeriodDays: periods.get(declared.rule.key), erase })
    outcomes.push({ ...declared, count })
  }
  return outcomes
}

/**
 * Applies every provider's retention rules, or with `dryRun` counts what they would remove. A run is
 * one transaction with its audit entry (`privacy.retention_run`, the count of each rule) and its
 * `retention_runs` row: all or nothing. A dry run changes nothing and is not audited.
 */
export async function runRetention(
  platform: Platform,
  options: { dryRun: boolean; trigger: RetentionTrigger; actorAccountId?: string | null },
): Promise<RetentionReport> {
  const rules = declaredRules(platform.privacyProviders)
  const ranAt = platform.clock.now()
  if (options.dryRun) return { ranAt, dryRun: true, outcomes: await applyRules(platform.db, rules, ranAt, true) }
  const erasedAccountIds: string[] = []
  const outcomes = await platform.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${RETENTION_LOCK})`)
    const erase = async (subject: Subject) => {
      await eraseSubject(tx, platform.memo, platform.privacyProviders, subject)
      if (subject.accountId) erasedAccountIds.push(subject.accountId)
    }
    const outcomes = await applyRules(tx, rules, ranAt, false, erase)
    const counts: RetentionRuleCount[] = outcomes.map(({ rule, count }) => ({ key: rule.key, count }))
    await tx.insert(retentionRuns).values({ trigger: options.trigger, ranAt, counts })
    await platform.audit.recordIn(tx, {
      action: 'privacy.retention_run',
      actorAccountId: options.actorAccountId ?? null,
      data: { trigger: options.trigger, counts: Object.fromEntries(counts.map(({ key, count }) => [key, count])) },
    })
    return outcomes
  })
  // eraseSubject forgot them at its savepoint; forget again now that the run committed.
  await platform.memo.forget(...erasedAccountIds)
  return { ranAt, dryRun: false, outcomes }
}

export async function listRetentionRuns(db: Db, limit = 10) {
  return db.select().from(retentionRuns).orderBy(desc(retentionRuns.ranAt)).limit(limit)
}
