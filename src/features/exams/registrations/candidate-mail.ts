import type { Db } from '../../../platform/db/client.ts'
import type { MailInput } from '../../../platform/mail/mailer.ts'
import type { Platform } from '../../../platform/platform.ts'
import { utcToZoned } from '../../../platform/time-zones.ts'
import { link } from '../../identity/service.ts'
import { type ExamSessionView, getExamSessionViews } from '../sessions/views.ts'

/** What happened to a candidate's registration. */
export type CandidateEvent =
  | { kind: 'registered' }
  | { kind: 'waitlisted'; position: number }
  | { kind: 'promoted' }
  | { kind: 'withdrawn' }
  | { kind: 'removed' }
  | { kind: 'cancelled'; reason: string }
  /** `roomName` is null when the earlier room is no longer in the catalog. */
  | { kind: 'moved'; before: { roomName: string | null; startsAt: Date; endsAt: Date } }

export interface CandidateNotice {
  /** The registration as it is (or was, once deleted): who, and for which exam session. */
  registration: { orgId: string; examSessionId: string; name: string; email: string }
  event: CandidateEvent
}

type SessionFacts = Pick<ExamSessionView, 'examTitle' | 'centreName' | 'roomName' | 'timeZone' | 'startsAt' | 'endsAt'>

export const MY_REGISTRATIONS_PATH = '/me/exam-registrations'

/**
 * Text mails carry no markup, so nothing is HTML-escaped; a value is only kept on one line, so a
 * name or reason cannot add lines that pass for the message's own (a fake link, say).
 */
const oneLine = (value: string) => value.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ').trim()

/** "2026-12-30 09:00–10:00 (Europe/London)", with the end's date when it is another day. */
export function localTimes(startsAt: Date, endsAt: Date, timeZone: string): string {
  const start = utcToZoned(startsAt, timeZone).replace('T', ' ')
  const end = utcToZoned(endsAt, timeZone).replace('T', ' ')
  return `${start}–${end.slice(0, 10) === start.slice(0, 10) ? end.slice(11) : end} (${timeZone})`
}

function wordingOf(event: CandidateEvent, session: SessionFacts): { subject: string; lead: string; after?: string } {
  switch (event.kind) {
    case 'registered':
      return { subject: 'Registered', lead: 'You are registered for this exam session: a seat is yours.' }
    case 'waitlisted':
      return {
        subject: 'Waitlisted',
        lead: `You are on the waitlist (number ${event.position}) for this exam session. When a seat is free, it goes to the first on the waitlist, and we email you.`,
      }
    case 'promoted':
      return { subject: 'A seat is free', lead: 'A seat is free: you are now registered for this exam session.' }
    case 'withdrawn':
      return { subject: 'Withdrawn', lead: 'You withdrew your registration for this exam session.' }
    case 'removed':
      return { subject: 'Registration removed', lead: 'Your registration was removed by the organisers of this exam session.' }
    case 'cancelled':
      return { subject: 'Cancelled', lead: 'This exam session is cancelled.', after: `Reason: ${oneLine(event.reason)}` }
    case 'moved':
      return {
        subject: 'Moved',
        lead: 'Your exam session has moved: the room and time below are the new ones, and your registration stays as it was.',
        after: `Before: ${event.before.roomName ? `room ${oneLine(event.before.roomName)}, ` : ''}${localTimes(event.before.startsAt, event.before.endsAt, session.timeZone)}`,
      }
  }
}

/** The message telling a candidate what happened to their registration. */
function candidateMessage(platform: Platform, notice: CandidateNotice, session: SessionFacts): MailInput {
  const { registration, event } = notice
  const wording = wordingOf(event, session)
  const title = oneLine(session.examTitle)
  const day = utcToZoned(session.startsAt, session.timeZone).slice(0, 10)
  const lines = [
    `Dear ${oneLine(registration.name)},`,
    '',
    wording.lead,
    '',
    `Exam: ${title}`,
    `Centre: ${oneLine(session.centreName)}`,
    `Room: ${oneLine(session.roomName)}`,
    `When: ${localTimes(session.startsAt, session.endsAt, session.timeZone)}`,
    ...(wording.after ? ['', wording.after] : []),
    '',
    `Your exam registrations: ${link(platform, MY_REGISTRATIONS_PATH)}`,
    '',
  ]
  return { to: registration.email, orgId: registration.orgId, subject: `${wording.subject}: ${title} on ${day}`, text: lines.join('\n') }
}

/**
 * Queues one message per notice in the caller's transaction (sent only if it commits): the exam
 * sessions' facts are read once for all notices, and the messages are stored in batches.
 */
export async function emailCandidates(platform: Platform, tx: Db, notices: CandidateNotice[]): Promise<void> {
  if (notices.length === 0) return
  const facts = new Map<string, SessionFacts>()
  for (const orgId of new Set(notices.map((notice) => notice.registration.orgId))) {
    const sessionIds = notices.filter((notice) => notice.registration.orgId === orgId).map((notice) => notice.registration.examSessionId)
    for (const [id, view] of await getExamSessionViews(tx, { orgId }, sessionIds)) facts.set(id, view)
  }
  await platform.mailer.sendMany(
    tx,
    notices.map((notice) => {
      const session = facts.get(notice.registration.examSessionId)
      if (!session) throw new Error(`Exam session ${notice.registration.examSessionId} was not found for its candidate's message.`)
      return candidateMessage(platform, notice, session)
    }),
  )
}
