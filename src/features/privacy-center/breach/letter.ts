import type { Platform } from '../../../platform/platform.ts'
import { utcToZoned } from '../../../platform/time-zones.ts'
import { getOrg, type OrgScope } from '../../orgs/service.ts'
import { dataCategories } from '../categories.ts'
import type { breachIncidents } from './schema.ts'

type Incident = typeof breachIncidents.$inferSelect

/** What every letter of an incident shares: the org, its time zone and the incident's kinds of data in words. */
export interface LetterContext {
  orgName: string
  timeZone: string
  categoryLabels: string[]
}

export async function letterContext(platform: Platform, scope: OrgScope, incident: Incident): Promise<LetterContext> {
  const org = await getOrg(platform.db, scope)
  const labels = new Map(dataCategories(platform.privacyProviders).map((category) => [category.key, category.label]))
  return { orgName: org.name, timeZone: org.timeZone, categoryLabels: incident.dataCategories.map((key) => labels.get(key) ?? key) }
}

export const dateInZone = (date: Date, timeZone: string) => `${utcToZoned(date, timeZone).replace('T', ' ')} (${timeZone})`

/** The eight elements of a breach notice, numbered, in the order the letter, the preview and the regulator's report show them. */
export function letterSections(incident: Incident, context: LetterContext): { heading: string; paragraphs: string[] }[] {
  return [
    {
      heading: '1. What happened',
      paragraphs: [
        incident.whatHappened,
        `The breach happened on ${dateInZone(incident.occurredAt, context.timeZone)} and we discovered it on ${dateInZone(incident.discoveredAt, context.timeZone)}.`,
      ],
    },
    { heading: '2. What information was involved', paragraphs: context.categoryLabels.map((label) => `– ${label}`) },
    { heading: '3. What we are doing', paragraphs: [incident.measuresTaken] },
    { heading: '4. What you can do', paragraphs: [incident.whatPeopleCanDo] },
    { heading: '5. For more information', paragraphs: [incident.contactInfo] },
    { heading: '6. What we did to protect you', paragraphs: [incident.protectionMeasures] },
    { heading: '7. Advice on protecting yourself', paragraphs: [incident.advice] },
    { heading: '8. Steps we are taking to put this right, and when', paragraphs: [incident.cureSteps, `Timeframe: ${incident.cureTimeframe}`] },
  ]
}

/** The letter to one affected person, as plain text. */
export function renderLetter(incident: Incident, context: LetterContext, person: { name: string }): { subject: string; text: string } {
  const greeting = person.name.trim() ? `Dear ${person.name.trim()},` : 'Hello,'
  const body = letterSections(incident, context)
    .map((section) => [section.heading, ...section.paragraphs].join('\n\n'))
    .join('\n\n')
  return {
    subject: `Important: a personal data breach at ${context.orgName} involving your information`,
    text: [
      greeting,
      `We are writing to tell you about a breach of personal data held by ${context.orgName} that involves information about you.`,
      body,
      context.orgName,
    ].join('\n\n'),
  }
}
