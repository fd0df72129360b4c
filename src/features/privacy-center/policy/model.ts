import type { Db } from '../../../platform/db/client.ts'
import type { PrivacyProvider } from '../../../platform/privacy/registry.ts'
import { columnsInWords, effectivePeriod, LEGAL_BASIS_IN_WORDS, periodInWords, ruleInWords, tableInWords } from '../categories.ts'
import type { SubProcessor } from '../schema.ts'
import { DEFAULT_PRIVACY_SETTINGS, getPrivacySettings } from '../settings.ts'

/** One retention rule as the policy states it: the same rule the retention engine runs. */
export interface PolicyRule {
  key: string
  what: string
  period: string
  /** "Page-view entries — deleted 90 days after the entry's time". */
  sentence: string
}

/** One kind of personal data the policy describes, straight from a provider's declaration. */
export interface PolicyProcessing {
  provider: string
  table: string
  title: string
  columns: string
  purpose: string
  legalBasis: string
  retention: string
  rules: PolicyRule[]
}

/** Everything a generated privacy policy says, and nothing else: its hash names its version. */
export interface PolicyModel {
  controller: { name: string; contactEmail: string | null }
  processing: PolicyProcessing[]
  subProcessors: SubProcessor[]
  internationalTransfers: string
  cookies: { name: string; purpose: string }[]
}

/**
 * The cookies Laurel's code sets (every `setCookie(` call), all needed for the service to work: so no
 * consent banner. The consent helper's cookie inventory replaces this list when it exists.
 */
export const COOKIES = [
  { name: 'laurel_session', purpose: 'Keeps you signed in (your login session).' },
  { name: 'laurel_csrf', purpose: 'Protects forms against cross-site request forgery.' },
  { name: 'laurel_flash', purpose: 'Carries a one-time message to the next page after a form is sent.' },
  { name: 'laurel_org', purpose: 'Remembers which of your organisations you last opened.' },
  { name: 'laurel_key_…', purpose: 'Holds the key to a secret kept for your login session only (e.g. testing-portal credentials).' },
]

/** The policy the providers' declarations and the org's settings (none: the install's policy) make. */
export async function buildPolicyModel(db: Db, providers: PrivacyProvider[], org: { id: string; name: string } | null): Promise<PolicyModel> {
  const settings = org ? await getPrivacySettings(db, org.id) : DEFAULT_PRIVACY_SETTINGS
  return {
    controller: {
      name: settings.controllerName ?? org?.name ?? 'The organisation that holds your data (named on its own policy page)',
      contactEmail: settings.contactEmail,
    },
    processing: providers.flatMap((provider) =>
      provider.stores.map((stored) => ({
        provider: provider.name,
        table: stored.table,
        title: tableInWords(stored),
        columns: columnsInWords(stored),
        purpose: stored.purpose,
        legalBasis: LEGAL_BASIS_IN_WORDS[stored.legalBasis],
        retention: stored.retention,
        rules: (stored.rules ?? []).map((rule) => {
          const period = effectivePeriod(rule, settings.retentionDays)
          return { key: rule.key, what: rule.what, period: periodInWords(period), sentence: ruleInWords(rule, period) }
        }),
      })),
    ),
    subProcessors: settings.subProcessors,
    internationalTransfers: settings.internationalTransfers,
    cookies: COOKIES,
  }
}

/** What a new version must tell everyone about: a change in what is collected, why, or for how long. */
export function isMaterialChange(before: PolicyModel, after: PolicyModel): boolean {
  const essence = (model: PolicyModel) =>
    JSON.stringify(
      model.processing
        .map((item) => [item.table, item.columns, item.purpose, item.retention, item.rules.map((rule) => [rule.key, rule.period])])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    )
  return essence(before) !== essence(after)
}
