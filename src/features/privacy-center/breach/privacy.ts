import { eq, inArray } from 'drizzle-orm'
import { definePrivacyProvider } from '../../../platform/privacy/registry.ts'
import { breachAffectedPeople, breachIncidents, breachLetters } from './schema.ts'

export const breachPrivacy = definePrivacyProvider({
  name: 'privacy-center.breach',
  stores: [
    {
      table: 'breach_affected_people',
      columns: ['email', 'name', 'account_id'],
      purpose: 'Telling people that a personal-data breach touched their data, and showing the regulator who was told',
      legalBasis: 'legal_obligation',
      retention: 'Kept with the breach register, which the regulator may ask to see; on erasure only the address stays, as proof the person was told',
    },
  ],
  notPersonal: [
    {
      table: 'breach_incidents',
      columns: [
        'id',
        'org_id',
        'title',
        'what_happened',
        'data_categories',
        'measures_taken',
        'what_people_can_do',
        'contact_info',
        'protection_measures',
        'advice',
        'cure_steps',
        'cure_timeframe',
        'status',
        'created_by_account_id',
      ],
      reason: 'The incident as told to everyone it touched: written by staff about the breach, not about one person',
    },
    { table: 'breach_affected_people', columns: ['id', 'incident_id', 'org_id'], reason: 'Identifiers' },
    {
      table: 'breach_letters',
      columns: ['id', 'affected_person_id', 'incident_id', 'org_id', 'mail_message_id'],
      reason: 'Identifiers linking a letter to its mail message, which the mail provider declares',
    },
  ],
  retainedAfterErasure: [
    {
      table: 'breach_affected_people',
      column: 'email',
      reason: 'The breach register must show the regulator whom the organisation notified (a legal obligation); the address is the proof',
    },
  ],
  async export(db, subject) {
    const rows = await db
      .select({
        incidentId: breachIncidents.id,
        orgId: breachIncidents.orgId,
        title: breachIncidents.title,
        occurredAt: breachIncidents.occurredAt,
        discoveredAt: breachIncidents.discoveredAt,
        whatHappened: breachIncidents.whatHappened,
        email: breachAffectedPeople.email,
        name: breachAffectedPeople.name,
        letterMessageId: breachLetters.mailMessageId,
      })
      .from(breachAffectedPeople)
      .innerJoin(breachIncidents, eq(breachIncidents.id, breachAffectedPeople.incidentId))
      .leftJoin(breachLetters, eq(breachLetters.affectedPersonId, breachAffectedPeople.id))
      .where(eq(breachAffectedPeople.email, subject.email))
    return { breachesAffectingYou: rows }
  },
  async erase(db, subject) {
    const rows = await db.select({ id: breachAffectedPeople.id }).from(breachAffectedPeople).where(eq(breachAffectedPeople.email, subject.email))
    if (rows.length === 0) return
    await db
      .update(breachAffectedPeople)
      .set({ name: '', accountId: null })
      .where(
        inArray(
          breachAffectedPeople.id,
          rows.map((row) => row.id),
        ),
      )
  },
})
