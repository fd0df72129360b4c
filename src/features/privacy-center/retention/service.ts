import { InvalidError } from '../../../platform/errors.ts'
import type { Platform } from '../../../platform/platform.ts'
import { type OrgScope, requireRole } from '../../orgs/service.ts'
import { periodInWords } from '../categories.ts'
import { getPrivacySettings, savePrivacySettings } from '../settings.ts'
import { declaredRules, listRetentionRuns, type RetentionReport, runRetention } from './engine.ts'

/** A rule as people read it. */
export interface RuleView {
  key: string
  provider: string
  table: string
  action: string
  what: string
  from: string
  period: string
  boundsDays: { min: number; max: number } | null
}

function ruleViews(platform: Platform): RuleView[] {
  return declaredRules(platform.privacyProviders).map(({ provider, table, rule }) => ({
    key: rule.key,
    provider,
    table,
    action: rule.action,
    what: rule.what,
    from: rule.from,
    period: periodInWords(rule.period),
    boundsDays: rule.boundsDays ?? null,
  }))
}

function countsOf(report: RetentionReport) {
  return report.outcomes.map(({ rule, count }) => ({ key: rule.key, count }))
}

/** The platform's rules, what a run would remove now (a dry run) and the last runs; platform admins only (the caller checks). */
export async function getRetentionOverview(platform: Platform) {
  const dryRun = await runRetention(platform, { dryRun: true, trigger: 'staff' })
  const wouldRemove = new Map(countsOf(dryRun).map(({ key, count }) => [key, count]))
  return {
    rules: ruleViews(platform).map((rule) => ({ ...rule, wouldRemove: wouldRemove.get(rule.key) ?? 0 })),
    runs: await listRetentionRuns(platform.db),
  }
}

/** Applies every rule now, audited with the platform admin who asked. */
export async function runRetentionNow(platform: Platform, accountId: string) {
  const report = await runRetention(platform, { dryRun: false, trigger: 'staff', actorAccountId: accountId })
  return { ranAt: report.ranAt, counts: countsOf(report) }
}

/** The org's rules, each with the period it applies to the org's data (its choice, or the rule's) and the bounds of that choice. */
export async function getOrgRetention(platform: Platform, scope: OrgScope) {
  requireRole(scope, 'admin')
  const { retentionDays } = await getPrivacySettings(platform.db, scope.orgId)
  return ruleViews(platform).map((rule) => ({ ...rule, chosenDays: rule.boundsDays ? (retentionDays[rule.key] ?? null) : null }))
}

/**
 * Saves the org's chosen periods (in days, by rule key; a missing key: the rule's own period) through
 * the privacy settings, which audit the change. Throws `invalid_retention_periods` naming each rule
 * whose value is not a whole number of days within its bounds, or that allows no choice.
 */
export async function saveOrgRetentionPeriods(platform: Platform, scope: OrgScope, chosen: Record<string, number>) {
  requireRole(scope, 'admin')
  const rules = new Map(ruleViews(platform).map((rule) => [rule.key, rule]))
  const errors: Record<string, string> = {}
  for (const [key, days] of Object.entries(chosen)) {
    const bounds = rules.get(key)?.boundsDays
    if (!bounds) errors[key] = `${key} is not a rule whose period an organisation can choose.`
    else if (!Number.isInteger(days) || days < bounds.min || days > bounds.max)
      errors[key] = `Choose a whole number of days from ${bounds.min} to ${bounds.max}.`
  }
  if (Object.keys(errors).length > 0) throw new InvalidError('invalid_retention_periods', 'Some retention periods need fixing.', errors)
  const settings = await getPrivacySettings(platform.db, scope.orgId)
  await savePrivacySettings(platform, scope, { ...settings, retentionDays: chosen })
  return getOrgRetention(platform, scope)
}
