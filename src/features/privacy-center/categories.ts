import type { PrivacyProvider, RetentionPeriod, RetentionRule, StoredData } from '../../platform/privacy/registry.ts'

/** A kind of personal data, as the privacy registry declares it: one table of one provider. */
export interface DataCategory {
  /** `<provider>.<table>`: what incidents store. */
  key: string
  provider: string
  table: string
  /** In words for people: "Credentials: recipient email, recipient name (issuing credentials …)". */
  label: string
  /** The registry can list the people whose data of this kind an organisation holds. */
  canFindPeople: boolean
}

const words = (name: string) => name.replaceAll('_', ' ')
const capitalised = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`

export const columnsInWords = (stored: StoredData) => stored.columns.map(words).join(', ')
export const tableInWords = (stored: StoredData) => capitalised(words(stored.table))

export const LEGAL_BASIS_IN_WORDS: Record<StoredData['legalBasis'], string> = {
  contract: 'Performing our contract with you',
  consent: 'Your consent',
  legal_obligation: 'A legal obligation',
  legitimate_interest: 'Our legitimate interest',
}

/** Every kind of personal data the providers declare, in their order. */
export function dataCategories(providers: PrivacyProvider[]): DataCategory[] {
  return providers.flatMap((provider) =>
    provider.stores.map((stored) => ({
      key: `${provider.name}.${stored.table}`,
      provider: provider.name,
      table: stored.table,
      label: `${tableInWords(stored)}: ${columnsInWords(stored)} (${stored.purpose})`,
      canFindPeople: Boolean(provider.subjectsHolding?.[stored.table]),
    })),
  )
}

/** "30 days", "13 months", "24 hours", "1 month and 2 days". */
export function periodInWords(period: RetentionPeriod): string {
  const parts = (['months', 'days', 'hours'] as const)
    .filter((unit) => period[unit])
    .map((unit) => `${period[unit]} ${period[unit] === 1 ? unit.slice(0, -1) : unit}`)
  return parts.join(' and ') || 'immediately'
}

/** The period a rule runs with for an org: its chosen number of days within the rule's bounds, else the declared period. */
export function effectivePeriod(rule: RetentionRule, retentionDays: Record<string, number>): RetentionPeriod {
  const chosen = retentionDays[rule.key]
  if (chosen === undefined || !rule.boundsDays) return rule.period
  return { days: withinBounds(rule.boundsDays, chosen) }
}

/** A chosen number of days, whole and within the rule's bounds. */
export function withinBounds(bounds: { min: number; max: number }, days: number): number {
  return Math.min(bounds.max, Math.max(bounds.min, Math.round(days)))
}

const ACTION_IN_WORDS: Record<RetentionRule['action'], string> = {
  delete: 'deleted',
  anonymise: 'anonymised',
  aggregate: 'aggregated into counts',
  erase: 'erased',
  disable: 'disabled and wiped',
}

/** "page-view entries — deleted 90 days after the entry's time": `what` as declared, so the policy quotes the rule. */
export function ruleInWords(rule: RetentionRule, period: RetentionPeriod): string {
  return `${rule.what} — ${ACTION_IN_WORDS[rule.action]} ${periodInWords(period)} after ${rule.from}`
}
