import { and, count, eq, isNull } from 'drizzle-orm'
import { Type } from 'typebox'
import { defineJob, type JobRunContext } from '../../../platform/jobs/jobs.ts'
import type { Platform } from '../../../platform/platform.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { letterContext, renderLetter } from './letter.ts'
import { breachAffectedPeople, breachIncidents, breachLetters } from './schema.ts'

const CHUNK = 200

/**
 * Emails the breach letter to every affected person of the incident who has none yet, a chunk per
 * transaction; safe to run again (a retried job sends only what is left). The incident is then "notified".
 */
export const sendBreachLettersJob = defineJob({
  name: 'privacy-center.send-breach-letters',
  title: 'Send breach letters',
  payload: Type.Object({ orgId: Type.String(), incidentId: Type.String(), accountId: Type.String() }),
  async run({ services: platform, progress }: JobRunContext<Platform>, { orgId, incidentId, accountId }) {
    const [incident] = await platform.db
      .select()
      .from(breachIncidents)
      .where(and(eq(breachIncidents.orgId, orgId), eq(breachIncidents.id, incidentId)))
    if (!incident || incident.status === 'closed') return
    // The admin who started the job was checked then; the job acts for them.
    const scope: OrgScope = { orgId, accountId, role: 'admin' }
    const context = await letterContext(platform, scope, incident)
    const withoutLetter = and(eq(breachAffectedPeople.incidentId, incidentId), isNull(breachLetters.id))
    const unsent = () =>
      platform.db
        .select({ id: breachAffectedPeople.id, email: breachAffectedPeople.email, name: breachAffectedPeople.name })
        .from(breachAffectedPeople)
        .leftJoin(breachLetters, eq(breachLetters.affectedPersonId, breachAffectedPeople.id))
        .where(withoutLetter)
        .limit(CHUNK)
    const [pending] = await platform.db
      .select({ total: count() })
      .from(breachAffectedPeople)
      .leftJoin(breachLetters, eq(breachLetters.affectedPersonId, breachAffectedPeople.id))
      .where(withoutLetter)
    const total = pending?.total ?? 0
    let sent = 0
    for (let people = await unsent(); people.length > 0; people = await unsent()) {
      await platform.db.transaction(async (tx) => {
        const messageIds = await platform.mailer.sendMany(
          tx,
          people.map((person) => ({ orgId, to: person.email, ...renderLetter(incident, context, person) })),
        )
        await tx
          .insert(breachLetters)
          .values(people.map((person, i) => ({ affectedPersonId: person.id, incidentId, orgId, mailMessageId: messageIds[i] ?? '' })))
      })
      sent += people.length
      await progress(sent, total, `${sent} of ${total} letters queued`)
    }
    await platform.db
      .update(breachIncidents)
      .set({ status: 'notified' })
      .where(and(eq(breachIncidents.id, incidentId), eq(breachIncidents.status, 'open')))
  },
})
