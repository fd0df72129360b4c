import type { Platform } from '../../../platform/platform.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { dateInZone, letterContext, letterSections } from './letter.ts'
import { renderBreachReport } from './report-pdf.ts'
import { getIncident, listAffectedPeople, regulatorDeadline } from './service.ts'

const letterState = (status: string | null) => status ?? 'not sent'

/** The regulator's list: every affected person once, with their letter's delivery state. */
export async function regulatorCsvRows(platform: Platform, scope: OrgScope, incidentId: string): Promise<string[][]> {
  const people = await listAffectedPeople(platform.db, scope, incidentId)
  return [
    ['email', 'name', 'account_id', 'letter_status', 'letter_sent_at'],
    ...people.map((person) => [person.email, person.name, person.accountId ?? '', letterState(person.letterStatus), person.letterSentAt?.toISOString() ?? '']),
  ]
}

/** The incident report for the regulator as a PDF: the facts, the eight elements, and everyone affected. */
export async function incidentReportPdf(platform: Platform, scope: OrgScope, incidentId: string): Promise<Uint8Array> {
  const incident = await getIncident(platform.db, scope, incidentId)
  const context = await letterContext(platform, scope, incident)
  const people = await listAffectedPeople(platform.db, scope, incidentId)
  const now = platform.clock.now()
  return renderBreachReport({
    title: `Personal data breach report — ${context.orgName}`,
    facts: [
      `Incident: ${incident.title} (${incident.id})`,
      `Status: ${incident.status}`,
      `Discovered: ${dateInZone(incident.discoveredAt, context.timeZone)}; regulator deadline: ${dateInZone(regulatorDeadline(incident, now).dueAt, context.timeZone)}`,
      `Regulator notified: ${incident.regulatorNotifiedAt ? dateInZone(incident.regulatorNotifiedAt, context.timeZone) : 'not yet'}`,
      `Affected people: ${people.length}; letters sent: ${people.filter((person) => person.letterStatus === 'sent' || person.letterStatus === 'outbox').length}`,
      `Printed: ${dateInZone(now, context.timeZone)}`,
    ],
    sections: letterSections(incident, context),
    people: people.map((person) => ({ email: person.email, name: person.name, letterStatus: letterState(person.letterStatus) })),
    printedAt: now,
  })
}
