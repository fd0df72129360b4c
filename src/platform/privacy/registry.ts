import type { Db } from '../db/client.ts'

/** The person a privacy request is about. */
export interface Subject {
  accountId: string | null
  email: string
}

export interface StoredData {
  /** SQL table name. */
  table: string
  /** SQL column names holding personal data. */
  columns: string[]
  purpose: string
  legalBasis: 'contract' | 'consent' | 'legal_obligation' | 'legitimate_interest'
  retention: string
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
  retainedAfterErasure: RetainedData[]
  export(db: Db, subject: Subject): Promise<Record<string, unknown>>
  erase(db: Db, subject: Subject): Promise<void>
}

export function definePrivacyProvider(provider: PrivacyProvider): PrivacyProvider {
  return provider
}

/** Exports everything every provider holds about the subject, keyed by provider name. */
export async function exportSubject(db: Db, providers: PrivacyProvider[], subject: Subject): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {}
  for (const provider of providers) result[provider.name] = await provider.export(db, subject)
  return result
}

/** Erases the subject in every provider, in one transaction: all or nothing. Providers run in reverse order of registration. */
export async function eraseSubject(db: Db, providers: PrivacyProvider[], subject: Subject): Promise<void> {
  await db.transaction(async (tx) => {
    for (const provider of [...providers].reverse()) await provider.erase(tx, subject)
  })
}
