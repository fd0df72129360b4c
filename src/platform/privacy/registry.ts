import type { Column, SQL } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import type { Memo } from '../memo.ts'

/** The person a privacy request is about. */
export interface Subject {
  accountId: string | null
  email: string
  /** On erasure: the person asks that their credentials be withdrawn, not kept valid as a verification record. */
  revokeCredentials?: boolean
  /**
   * On erasure by a `disable` rule: the account row stays, wiped and disabled, as the member ID, with
   * the org memberships and what other features declare kept for it (CE records); all else is erased.
   */
  keepsAccount?: boolean
}

/** Anonymising first: a row a later rule deletes was anonymised, in a dry run's count as in a run's. */
export const RETENTION_ACTIONS = ['anonymise', 'aggregate', 'delete', 'erase', 'disable'] as const
export type RetentionAction = (typeof RETENTION_ACTIONS)[number]

/** A period a retention rule waits, counted from its `from` column or event. */
export interface RetentionPeriod {
  days?: number
  months?: number
  hours?: number
}

/**
 * One retention promise as code: after `period` from `from`, `action` is applied to `what`. The retention
 * engine runs `apply`; the privacy policy's retention table is written from the same declaration.
 */
export interface RetentionRule {
  /** Stable key, e.g. `audit.page-views`: names the rule in reports, audit entries and per-org overrides. */
  key: string
  /**
   * `erase`: erases whole subjects through every provider; `disable`: erases them but for what is kept
   * and disables the account. The engine runs rules in this order, so a rule's count never depends on
   * one that runs later: RETENTION_ACTIONS.
   */
  action: RetentionAction
  /** What the rule removes, in words for people: "page-view entries", "the IP address of audit entries". */
  what: string
  /** The column or event the period counts from, in words: "the entry's time", "the certification's expiry". */
  from: string
  period: RetentionPeriod
  /** Orgs may choose another period within these bounds (in days); absent: the period is fixed. */
  boundsDays?: { min: number; max: number }
  /**
   * Applies the rule to every row older than the cutoff (per org when `cutoffFor` differs by org) and
   * returns how many it changed; with `dryRun` it only counts them, and must report what a run would do.
   */
  apply(db: Db, options: RetentionRunOptions): Promise<number>
}

export interface RetentionRunOptions {
  now: Date
  /** The rule's cutoff for an org (its chosen period, else the rule's); null: rows of no org. */
  cutoffFor(orgId: string | null): Date
  /**
   * The condition "`time` is before the cutoff of the row's org" as SQL, for rules over org-owned rows;
   * without `orgId`, before the rule's own cutoff.
   */
  isPastCutoff(time: Column | SQL, orgId?: Column | SQL): SQL
  dryRun: boolean
  /** Erases the subject in every provider, as `eraseSubject` does, within the run's transaction. */
  erase(subject: Subject): Promise<void>
}

export interface StoredData {
  /** SQL table name. */
  table: string
  /** SQL column names holding personal data. */
  columns: string[]
  purpose: string
  legalBasis: 'contract' | 'consent' | 'legal_obligation' | 'legitimate_interest'
  /** The retention in words, for the policy; every time limit in it is a rule below. */
  retention: string
  rules?: RetentionRule[]
}

/** Text or JSON columns of a provider's tables that hold nothing about a person, and why. */
export interface NotPersonalData {
  table: string
  columns: string[]
  reason: string
}

/** A person an organisation holds data about, as a query over the registry finds them (the breach register's affected people). */
export interface DataHolder {
  email: string
  accountId: string | null
  name: string
}

/** Whose data an organisation holds in one table; `from`/`to` narrow it to rows created in that window. */
export interface HolderQuery {
  orgId: string
  from?: Date
  to?: Date
}

/** Data kept after erasure, and why; the canary scan allows exactly these. */
export interface RetainedData {
  table: string
  column: string
  reason: string
}

/**
 * What a feature stores about people and how to hand it over or erase it. The privacy center, the
 * retention engine and the privacy-policy page are built only from these declarations.
 */
export interface PrivacyProvider {
  name: string
  stores: StoredData[]
  /** Every other text or JSON column of its tables; the canary test fails on a column declared nowhere. */
  notPersonal?: NotPersonalData[]
  retainedAfterErasure: RetainedData[]
  export(db: Db, subject: Subject): Promise<Record<string, unknown>>
  /**
   * Erases the subject's data. Rows it changes that remembered copies may be derived from (see
   * platform/memo.ts) it names to `forgetAfterCommit`: they are forgotten once the erasure commits.
   */
  erase(db: Db, subject: Subject, forgetAfterCommit: (...ids: string[]) => void): Promise<void>
  /**
   * By table name (of `stores`): the people whose personal data of that table an organisation holds.
   * Implemented for org-scoped tables of people, so a breach can be traced to everyone it touches.
   */
  subjectsHolding?: Record<string, (db: Db, query: HolderQuery) => Promise<DataHolder[]>>
  /** Other addresses the subject is known by (an account's verified extra email addresses). */
  otherEmailsOf?(db: Db, subject: Subject): Promise<string[]>
}

export function definePrivacyProvider(provider: PrivacyProvider): PrivacyProvider {
  return provider
}

/** The subject's other addresses, each as a subject of its own without the account (which the first subject covers). */
async function otherAddresses(db: Db, providers: PrivacyProvider[], subject: Subject): Promise<Subject[]> {
  const emails = new Set<string>()
  for (const provider of providers) for (const email of (await provider.otherEmailsOf?.(db, subject)) ?? []) emails.add(email)
  emails.delete(subject.email)
  return [...emails].map((email) => ({ ...subject, accountId: null, email }))
}

/**
 * Exports everything every provider holds about the subject, keyed by provider name; what is held
 * under the subject's other addresses follows under `otherEmailAddresses`, keyed by address.
 */
export async function exportSubject(db: Db, providers: PrivacyProvider[], subject: Subject): Promise<Record<string, unknown>> {
  const exportOne = async (one: Subject) => {
    const result: Record<string, unknown> = {}
    for (const provider of providers) result[provider.name] = await provider.export(db, one)
    return result
  }
  const result = await exportOne(subject)
  const others = await otherAddresses(db, providers, subject)
  if (others.length > 0) result.otherEmailAddresses = Object.fromEntries(await Promise.all(others.map(async (other) => [other.email, await exportOne(other)])))
  return result
}

/**
 * Erases the subject, under every address they are known by, in every provider, in one transaction:
 * all or nothing. Providers run in reverse order of registration. Afterwards no request is served
 * from a remembered copy of what was erased (the accounts' login sessions and orgs, what providers
 * report changed).
 */
export async function eraseSubject(db: Db, memo: Memo, providers: PrivacyProvider[], subject: Subject): Promise<void> {
  const changedIds = await db.transaction(async (tx) => {
    const all = [subject, ...(await otherAddresses(tx, providers, subject))]
    const changed = all.flatMap((one) => (one.accountId ? [one.accountId] : []))
    const forgetAfterCommit = (...ids: string[]) => changed.push(...ids)
    for (const provider of [...providers].reverse()) for (const one of all) await provider.erase(tx, one, forgetAfterCommit)
    return changed
  })
  await memo.forget(...changedIds)
}
