import { index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { createdAt, idColumn, timestamps } from '../../../platform/db/columns.ts'

export const INCIDENT_STATUSES = ['open', 'notified', 'closed'] as const
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number]

/**
 * A personal-data breach an org recorded: what the letters to affected people say (the eight elements
 * of a breach notice) and the regulator's deadline (72 hours from discovery).
 */
export const breachIncidents = pgTable(
  'breach_incidents',
  {
    id: idColumn('brch'),
    orgId: text().notNull(),
    title: text().notNull(),
    occurredAt: timestamp({ withTimezone: true }).notNull(),
    discoveredAt: timestamp({ withTimezone: true }).notNull(),
    whatHappened: text().notNull(),
    /** Category keys (`<provider>.<table>`) of the privacy registry: what information was involved. */
    dataCategories: jsonb().$type<string[]>().notNull(),
    measuresTaken: text().notNull(),
    whatPeopleCanDo: text().notNull(),
    contactInfo: text().notNull(),
    protectionMeasures: text().notNull(),
    advice: text().notNull(),
    cureSteps: text().notNull(),
    cureTimeframe: text().notNull(),
    status: text().$type<IncidentStatus>().notNull().default('open'),
    regulatorNotifiedAt: timestamp({ withTimezone: true }),
    createdByAccountId: text(),
    ...timestamps,
  },
  (table) => [index('breach_incidents_org_idx').on(table.orgId, table.discoveredAt)],
)

/** A person the breach touched: each address once per incident. */
export const breachAffectedPeople = pgTable(
  'breach_affected_people',
  {
    id: idColumn('brap'),
    incidentId: text()
      .notNull()
      .references(() => breachIncidents.id, { onDelete: 'cascade' }),
    orgId: text().notNull(),
    /** Lower-cased. */
    email: text().notNull(),
    accountId: text(),
    name: text().notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('breach_affected_people_incident_email_idx').on(table.incidentId, table.email),
    index('breach_affected_people_email_idx').on(table.email),
  ],
)

/** The letter emailed to one affected person; its delivery state is its mail message's. */
export const breachLetters = pgTable(
  'breach_letters',
  {
    id: idColumn('brlt'),
    affectedPersonId: text()
      .notNull()
      .references(() => breachAffectedPeople.id, { onDelete: 'cascade' }),
    incidentId: text().notNull(),
    orgId: text().notNull(),
    mailMessageId: text().notNull(),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex('breach_letters_person_idx').on(table.affectedPersonId), index('breach_letters_incident_idx').on(table.incidentId)],
)
