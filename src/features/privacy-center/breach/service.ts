import { and, asc, count, desc, eq, isNull, sql } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { ConflictError, InvalidError, NotFoundError } from '../../../platform/errors.ts'
import { type MailStatus, mailMessages } from '../../../platform/mail/schema.ts'
import type { Platform } from '../../../platform/platform.ts'
import type { DataHolder, PrivacyProvider } from '../../../platform/privacy/registry.ts'
import { type OrgScope, requireRole } from '../../orgs/service.ts'
import { dataCategories } from '../categories.ts'
import { sendBreachLettersJob } from './jobs.ts'
import { breachAffectedPeople, breachIncidents, breachLetters, type IncidentStatus } from './schema.ts'

export type Incident = typeof breachIncidents.$inferSelect

/** The regulator must hear of a breach within 72 hours of its discovery. */
export const REGULATOR_DEADLINE_MS = 72 * 3600_000

/** What staff write about an incident; every text is one of the elements a breach letter must hold. */
export interface IncidentInput {
  title: string
  occurredAt: Date | undefined
  discoveredAt: Date | undefined
  whatHappened: string
  dataCategories: string[]
  measuresTaken: string
  whatPeopleCanDo: string
  contactInfo: string
  protectionMeasures: string
  advice: string
  cureSteps: string
  cureTimeframe: string
}

/** The eight elements of a breach notice, each with the fields that fill it, in the letter's order. */
export const LETTER_ELEMENTS = [
  { heading: 'What happened', fields: ['whatHappened', 'occurredAt', 'discoveredAt'] },
  { heading: 'What information was involved', fields: ['dataCategories'] },
  { heading: 'What we are doing', fields: ['measuresTaken'] },
  { heading: 'What you can do', fields: ['whatPeopleCanDo'] },
  { heading: 'For more information', fields: ['contactInfo'] },
  { heading: 'What we did to protect you', fields: ['protectionMeasures'] },
  { heading: 'Advice on protecting yourself', fields: ['advice'] },
  { heading: 'Steps we are taking to put this right, and when', fields: ['cureSteps', 'cureTimeframe'] },
] as const satisfies readonly { heading: string; fields: readonly (keyof IncidentInput)[] }[]

const FIELD_PROBLEMS: Record<Exclude<keyof IncidentInput, 'title'>, string> = {
  whatHappened: 'Describe what happened (element 1 of the letter).',
  occurredAt: 'Give when the breach happened (element 1 of the letter).',
  discoveredAt: 'Give when the breach was discovered (element 1 of the letter; the 72-hour deadline counts from it).',
  dataCategories: 'Choose at least one kind of data involved (element 2 of the letter).',
  measuresTaken: 'Say what the organisation is doing about it (element 3 of the letter).',
  whatPeopleCanDo: 'Say what people can do (element 4 of the letter).',
  contactInfo: 'Give how to get more information: a contact (element 5 of the letter).',
  protectionMeasures: 'Say what was done to protect people (element 6 of the letter).',
  advice: 'Give advice on protecting themselves (element 7 of the letter).',
  cureSteps: 'Say what steps are taken to cure the breach (element 8 of the letter).',
  cureTimeframe: 'Say by when those steps will be done (element 8 of the letter).',
}

function checkIncident(platform: Platform, input: IncidentInput): void {
  const errors: Record<string, string> = {}
  if (!input.title.trim()) errors.title = 'Give the incident a short title for the register.'
  for (const [field, problem] of Object.entries(FIELD_PROBLEMS) as [keyof typeof FIELD_PROBLEMS, string][]) {
    const value = input[field]
    const isMissing = value === undefined || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0)
    if (isMissing) errors[field] = problem
  }
  const known = new Set(dataCategories(platform.privacyProviders).map((category) => category.key))
  const unknown = input.dataCategories.filter((key) => !known.has(key))
  if (unknown.length > 0) errors.dataCategories = `Unknown kind of data: ${unknown.join(', ')}; choose from the list.`
  const { occurredAt, discoveredAt } = input
  if (occurredAt && discoveredAt && occurredAt > discoveredAt) errors.occurredAt = 'The breach cannot have happened after it was discovered.'
  if (discoveredAt && discoveredAt > platform.clock.now()) errors.discoveredAt = 'The discovery cannot be in the future.'
  if (Object.keys(errors).length > 0) {
    const elements = LETTER_ELEMENTS.filter((element) => element.fields.some((field) => field in errors)).map(
      (element) => `${LETTER_ELEMENTS.indexOf(element) + 1}. ${element.heading}`,
    )
    const what = elements.length > 0 ? `the letter's elements ${elements.join('; ')}` : 'the title'
    throw new InvalidError('invalid_incident', `The incident is not complete: fix ${what} (${Object.keys(errors).join(', ')}).`, errors)
  }
}

const incidentValues = (input: IncidentInput) => ({
  title: input.title.trim(),
  occurredAt: input.occurredAt ?? new Date(0),
  discoveredAt: input.discoveredAt ?? new Date(0),
  whatHappened: input.whatHappened.trim(),
  dataCategories: [...new Set(input.dataCategories)],
  measuresTaken: input.measuresTaken.trim(),
  whatPeopleCanDo: input.whatPeopleCanDo.trim(),
  contactInfo: input.contactInfo.trim(),
  protectionMeasures: input.protectionMeasures.trim(),
  advice: input.advice.trim(),
  cureSteps: input.cureSteps.trim(),
  cureTimeframe: input.cureTimeframe.trim(),
})

/** Records an incident (admins), audited as `privacy.breach_recorded`. */
export async function recordIncident(platform: Platform, scope: OrgScope, input: IncidentInput): Promise<Incident> {
  requireRole(scope, 'admin')
  checkIncident(platform, input)
  return platform.db.transaction(async (tx) => {
    const [incident] = await tx
      .insert(breachIncidents)
      .values({ orgId: scope.orgId, createdByAccountId: scope.accountId, ...incidentValues(input) })
      .returning()
    if (!incident) throw new Error('The incident was not stored.')
    await platform.audit.recordIn(tx, { action: 'privacy.breach_recorded', orgId: scope.orgId, actorAccountId: scope.accountId, target: incident.id })
    return incident
  })
}

/** Changes what an incident says (admins); letters already sent keep what they said. */
export async function updateIncident(platform: Platform, scope: OrgScope, incidentId: string, input: IncidentInput): Promise<Incident> {
  requireRole(scope, 'admin')
  checkIncident(platform, input)
  return platform.db.transaction(async (tx) => {
    const [incident] = await tx
      .update(breachIncidents)
      .set(incidentValues(input))
      .where(and(eq(breachIncidents.orgId, scope.orgId), eq(breachIncidents.id, incidentId)))
      .returning()
    if (!incident) throw new NotFoundError('incident', incidentId)
    await platform.audit.recordIn(tx, { action: 'privacy.breach_updated', orgId: scope.orgId, actorAccountId: scope.accountId, target: incident.id })
    return incident
  })
}

export async function getIncident(db: Db, scope: OrgScope, incidentId: string): Promise<Incident> {
  requireRole(scope, 'staff')
  const [incident] = await db
    .select()
    .from(breachIncidents)
    .where(and(eq(breachIncidents.orgId, scope.orgId), eq(breachIncidents.id, incidentId)))
  if (!incident) throw new NotFoundError('incident', incidentId)
  return incident
}

export interface RegulatorDeadline {
  dueAt: Date
  /** Milliseconds left; negative once overdue. */
  remainingMs: number
  isOverdue: boolean
  /** The regulator was told (in time or not): the deadline no longer runs. */
  isMet: boolean
}

export function regulatorDeadline(incident: Pick<Incident, 'discoveredAt' | 'regulatorNotifiedAt'>, now: Date): RegulatorDeadline {
  const dueAt = new Date(incident.discoveredAt.getTime() + REGULATOR_DEADLINE_MS)
  const remainingMs = dueAt.getTime() - now.getTime()
  const isMet = incident.regulatorNotifiedAt !== null
  return { dueAt, remainingMs, isMet, isOverdue: !isMet && remainingMs < 0 }
}

/** "2 days 5 hours left", "overdue by 3 hours". */
export function deadlineInWords(deadline: RegulatorDeadline): string {
  if (deadline.isMet) return 'regulator notified'
  const hours = Math.floor(Math.abs(deadline.remainingMs) / 3600_000)
  const span =
    hours >= 24 ? `${Math.floor(hours / 24)} d ${hours % 24} h` : `${hours} h ${Math.floor((Math.abs(deadline.remainingMs) % 3600_000) / 60_000)} min`
  return deadline.isOverdue ? `overdue by ${span}` : `${span} left`
}

export interface IncidentSummary {
  id: string
  orgId: string
  title: string
  status: IncidentStatus
  discoveredAt: Date
  regulatorNotifiedAt: Date | null
  affectedPeople: number
}

const summaryColumns = {
  id: breachIncidents.id,
  orgId: breachIncidents.orgId,
  title: breachIncidents.title,
  status: breachIncidents.status,
  discoveredAt: breachIncidents.discoveredAt,
  regulatorNotifiedAt: breachIncidents.regulatorNotifiedAt,
  affectedPeople: sql<number>`(select count(*)::int from ${breachAffectedPeople} where ${breachAffectedPeople.incidentId} = ${breachIncidents.id})`,
}

/** The org's register, newest discovery first. */
export async function listIncidents(db: Db, scope: OrgScope): Promise<IncidentSummary[]> {
  requireRole(scope, 'staff')
  return db.select(summaryColumns).from(breachIncidents).where(eq(breachIncidents.orgId, scope.orgId)).orderBy(desc(breachIncidents.discoveredAt))
}

/** Every org's incidents, for the platform admin (the route checks the caller is one). */
export async function listAllIncidents(db: Db): Promise<IncidentSummary[]> {
  return db.select(summaryColumns).from(breachIncidents).orderBy(desc(breachIncidents.discoveredAt))
}

/** Records that the regulator was told (admins), which stops the 72-hour clock. */
export async function markRegulatorNotified(platform: Platform, scope: OrgScope, incidentId: string): Promise<void> {
  requireRole(scope, 'admin')
  await platform.db.transaction(async (tx) => {
    await getIncident(tx, scope, incidentId)
    const [row] = await tx
      .update(breachIncidents)
      .set({ regulatorNotifiedAt: platform.clock.now() })
      .where(and(eq(breachIncidents.orgId, scope.orgId), eq(breachIncidents.id, incidentId), isNull(breachIncidents.regulatorNotifiedAt)))
      .returning({ id: breachIncidents.id })
    if (!row) throw new ConflictError('regulator_already_notified', 'The regulator is already recorded as notified for this incident.')
    await platform.audit.recordIn(tx, { action: 'privacy.breach_regulator_notified', orgId: scope.orgId, actorAccountId: scope.accountId, target: incidentId })
  })
}

/** Closes an incident (admins): nothing more is sent for it. */
export async function closeIncident(platform: Platform, scope: OrgScope, incidentId: string): Promise<void> {
  requireRole(scope, 'admin')
  await platform.db.transaction(async (tx) => {
    const [row] = await tx
      .update(breachIncidents)
      .set({ status: 'closed' })
      .where(and(eq(breachIncidents.orgId, scope.orgId), eq(breachIncidents.id, incidentId)))
      .returning({ id: breachIncidents.id })
    if (!row) throw new NotFoundError('incident', incidentId)
    await platform.audit.recordIn(tx, { action: 'privacy.breach_closed', orgId: scope.orgId, actorAccountId: scope.accountId, target: incidentId })
  })
}

export interface AffectedQuery {
  dataCategories: string[]
  from?: Date
  to?: Date
}

/**
 * Everyone whose data of the chosen kinds the org holds (rows created in the window, when given), found
 * through the privacy registry: each person once, by lower-cased address, with the first name and
 * account any provider knows for them.
 */
export async function findAffectedPeople(db: Db, providers: PrivacyProvider[], orgId: string, query: AffectedQuery): Promise<DataHolder[]> {
  const chosen = new Set(query.dataCategories)
  const people = new Map<string, DataHolder>()
  for (const provider of providers) {
    for (const [table, holding] of Object.entries(provider.subjectsHolding ?? {})) {
      if (!chosen.has(`${provider.name}.${table}`)) continue
      for (const holder of await holding(db, { orgId, from: query.from, to: query.to })) {
        const email = holder.email.trim().toLowerCase()
        if (!email) continue
        const known = people.get(email)
        people.set(email, { email, name: known?.name || holder.name, accountId: known?.accountId ?? holder.accountId })
      }
    }
  }
  return [...people.values()].sort((a, b) => a.email.localeCompare(b.email))
}

function checkQuery(platform: Platform, query: AffectedQuery): void {
  const findable = new Set(
    dataCategories(platform.privacyProviders)
      .filter((category) => category.canFindPeople)
      .map((category) => category.key),
  )
  if (query.dataCategories.length === 0 || query.dataCategories.some((key) => !findable.has(key))) {
    throw new InvalidError('invalid_affected_query', 'Choose one or more kinds of data from the list whose people can be found.', {
      dataCategories: 'Choose the kinds of data whose people to find.',
    })
  }
  if (query.from && query.to && query.from > query.to)
    throw new InvalidError('invalid_affected_query', 'The window starts after it ends.', { from: 'Start before the end.' })
}

/** The people the query finds for the incident, to preview before saving (staff). */
export async function previewAffectedPeople(platform: Platform, scope: OrgScope, incidentId: string, query: AffectedQuery): Promise<DataHolder[]> {
  await getIncident(platform.db, scope, incidentId)
  checkQuery(platform, query)
  return findAffectedPeople(platform.db, platform.privacyProviders, scope.orgId, query)
}

/** Adds the people the query finds to the incident (admins); people already on it stay once. Returns how many were added. */
export async function saveAffectedPeople(platform: Platform, scope: OrgScope, incidentId: string, query: AffectedQuery): Promise<number> {
  requireRole(scope, 'admin')
  checkQuery(platform, query)
  return platform.db.transaction(async (tx) => {
    await getIncident(tx, scope, incidentId)
    const people = await findAffectedPeople(tx, platform.privacyProviders, scope.orgId, query)
    const added =
      people.length === 0
        ? []
        : await tx
            .insert(breachAffectedPeople)
            .values(people.map((person) => ({ incidentId, orgId: scope.orgId, ...person })))
            .onConflictDoNothing()
            .returning({ id: breachAffectedPeople.id })
    await platform.audit.recordIn(tx, {
      action: 'privacy.breach_affected_people_added',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: incidentId,
      data: { added: added.length, dataCategories: query.dataCategories },
    })
    return added.length
  })
}

export interface AffectedPerson {
  id: string
  email: string
  name: string
  accountId: string | null
  letterStatus: MailStatus | null
  letterSentAt: Date | null
}

/** The incident's affected people with the state of each one's letter (null: not sent yet). */
export async function listAffectedPeople(db: Db, scope: OrgScope, incidentId: string): Promise<AffectedPerson[]> {
  await getIncident(db, scope, incidentId)
  return db
    .select({
      id: breachAffectedPeople.id,
      email: breachAffectedPeople.email,
      name: breachAffectedPeople.name,
      accountId: breachAffectedPeople.accountId,
      letterStatus: mailMessages.status,
      letterSentAt: mailMessages.sentAt,
    })
    .from(breachAffectedPeople)
    .leftJoin(breachLetters, eq(breachLetters.affectedPersonId, breachAffectedPeople.id))
    .leftJoin(mailMessages, eq(mailMessages.id, breachLetters.mailMessageId))
    .where(and(eq(breachAffectedPeople.orgId, scope.orgId), eq(breachAffectedPeople.incidentId, incidentId)))
    .orderBy(asc(breachAffectedPeople.email))
}

export async function letterCounts(db: Db, scope: OrgScope, incidentId: string): Promise<{ people: number; letters: number }> {
  const [people] = await db
    .select({ total: count() })
    .from(breachAffectedPeople)
    .where(and(eq(breachAffectedPeople.orgId, scope.orgId), eq(breachAffectedPeople.incidentId, incidentId)))
  const [letters] = await db
    .select({ total: count() })
    .from(breachLetters)
    .where(and(eq(breachLetters.orgId, scope.orgId), eq(breachLetters.incidentId, incidentId)))
  return { people: people?.total ?? 0, letters: letters?.total ?? 0 }
}

/** Starts the job that emails a letter to every affected person without one yet (admins); audited as `privacy.breach_letters_sent`. */
export async function sendBreachLetters(platform: Platform, scope: OrgScope, incidentId: string): Promise<string> {
  requireRole(scope, 'admin')
  return platform.db.transaction(async (tx) => {
    const incident = await getIncident(tx, scope, incidentId)
    if (incident.status === 'closed') throw new ConflictError('incident_closed', 'This incident is closed; no letters are sent for it.')
    const { people, letters } = await letterCounts(tx, scope, incidentId)
    if (people === letters)
      throw new ConflictError('no_letters_to_send', people === 0 ? 'Add the affected people first.' : 'Every affected person already has a letter.')
    const jobId = await platform.jobs.enqueue(
      tx,
      sendBreachLettersJob,
      { orgId: scope.orgId, incidentId, accountId: scope.accountId },
      { orgId: scope.orgId, accountId: scope.accountId },
    )
    await platform.audit.recordIn(tx, {
      action: 'privacy.breach_letters_sent',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: incidentId,
      data: { letters: people - letters },
    })
    return jobId
  })
}
