import { sql } from 'drizzle-orm'
import {
  type CredentialEventInput,
  type CredentialRow,
  flushCredentialEvents,
  type IssueInput,
  issueCredentials,
  listCredentials,
  recordCredentialEvent,
  reissueCredential,
  revokeCredential,
} from '../features/credentials/service.ts'
import type { OrgScope } from '../features/orgs/service.ts'
import type { DemoAchievements } from './achievements.ts'
import { DEMO_RECIPIENT, type DemoPerson } from './people.ts'
import { DAY_MS, type DemoRandom, type Timeline } from './timeline.ts'

const DIRECT_CREDENTIALS = 160
const REVOCATION_REASONS = ['Issued in error: the candidate did not complete the course.', 'Withdrawn after a misconduct review.']

interface PlannedCredential {
  input: IssueInput
  /** Set when the credential goes out with a typo in the name and is corrected days later. */
  correctedName?: string
  isRevoked?: boolean
}

/** "Anna Berg" → "Anna Begr": the kind of slip a correction fixes. */
const misspell = (name: string) => name.replace(/(\p{L})(\p{L})$/u, '$2$1')

/**
 * Credentials issued straight from the achievements over the past year (more in recent months), with
 * exam results for the practitioners and evidence for the instructors, in one signed batch. A few
 * are then corrected (re-issued with the right name) and a few revoked, each at its own date.
 */
export async function issueDirectCredentials(timeline: Timeline, random: DemoRandom, owner: OrgScope, achievements: DemoAchievements, people: DemoPerson[]) {
  const planned: PlannedCredential[] = people.slice(0, DIRECT_CREDENTIALS).map((person, i) => {
    const daysAgo = Math.floor(365 * random.next() ** 1.3)
    const validFrom = new Date(timeline.daysAgo(daysAgo).getTime() - random.int(1, 8) * 3600_000)
    const isPractitioner = random.chance(0.65)
    const correctedName = i % 30 === 7 ? person.name : undefined
    return {
      correctedName,
      isRevoked: !correctedName && i % 25 === 11,
      input: {
        achievementId: isPractitioner ? achievements.practitioner.id : achievements.instructor.id,
        recipientEmail: person.email,
        recipientName: correctedName ? misspell(person.name) : person.name,
        validFrom,
        ...(isPractitioner
          ? { result: { score: random.int(70, 100), passMark: 70, maxScore: 100, takenOn: new Date(validFrom.getTime() - 3 * DAY_MS) } }
          : { evidence: [{ name: 'Observed teaching', narrative: 'Taught the three-day course in full under observation by a lead assessor.' }] }),
      },
    }
  })
  const recipient = { recipientEmail: DEMO_RECIPIENT.email }
  planned.push(
    {
      input: {
        ...recipient,
        recipientName: DEMO_RECIPIENT.name,
        achievementId: achievements.instructor.id,
        validFrom: timeline.daysAgo(200),
        evidence: [{ name: 'Observed teaching', narrative: 'Taught the course at the Leeds depot under observation.' }],
      },
    },
    {
      input: {
        ...recipient,
        recipientName: 'Priya Ramen',
        achievementId: achievements.practitioner.id,
        validFrom: timeline.daysAgo(340),
        result: { score: 81, passMark: 70, maxScore: 100, takenOn: timeline.daysAgo(343) },
      },
      correctedName: DEMO_RECIPIENT.name,
    },
  )
  const outcomes = await issueCredentials(
    timeline.at(timeline.today),
    owner,
    planned.map((item) => item.input),
  )
  for (const [i, { credential }] of outcomes.entries()) {
    const plan = planned[i]
    if (plan?.correctedName) {
      await reissueCredential(timeline.at(afterIssue(timeline, credential, random.int(2, 10))), owner, credential.id, { recipientName: plan.correctedName })
    } else if (plan?.isRevoked) {
      await revokeCredential(timeline.at(afterIssue(timeline, credential, random.int(20, 60))), owner, credential.id, random.pick(REVOCATION_REASONS))
    }
  }
}

/** A moment `days` after the credential's issue, but never after today. */
const afterIssue = (timeline: Timeline, credential: CredentialRow, days: number) =>
  new Date(Math.min(credential.validFrom.getTime() + days * DAY_MS, timeline.today.getTime()))

/**
 * Creation dates are the database's own clock: set each credential's to its issue date so that
 * lists and "issued this month" figures tell the year the demo describes. The one write no service
 * offers, since no real credential is ever issued in the past.
 */
export async function backdateCredentials(timeline: Timeline, owner: OrgScope): Promise<void> {
  await timeline.db.execute(sql`update credentials set created_at = valid_from where org_id = ${owner.orgId}`)
}

// No "email" source: the demo's delivery emails were never sent, so nobody came from one.
const PAGE_VIEW_SOURCES = ['direct', 'direct', 'direct', 'linkedin', 'linkedin', 'share', 'x', 'embed']
const VERIFIED_THROUGH = ['page', 'page', 'api', 'verify-page', 'vc-api']

/**
 * What holders and verifiers did with each credential since it was issued, through the same event
 * writer the public pages use: page views by link source, verifications by channel, PDF and JSON
 * downloads, LinkedIn shares; most soon after issue, fewer as months pass. Deliveries and opened
 * email links are not invented: the demo's emails sit unsent in the outbox.
 */
export async function recordDemoEvents(timeline: Timeline, random: DemoRandom, owner: OrgScope): Promise<void> {
  const today = timeline.today
  const { items } = await listCredentials(timeline.db, owner, { pageSize: 10_000 }, today)
  for (const credential of items) {
    const from = credential.validFrom.getTime()
    const until = (credential.revokedAt ?? today).getTime()
    const eventAt = () => new Date(from + (until - from) * random.next() ** 2)
    const record = (kind: CredentialEventInput['kind'], channel: string, outcome?: string) => {
      void recordCredentialEvent(timeline.at(eventAt()), { orgId: owner.orgId, credentialId: credential.id, kind, channel, outcome })
    }
    for (let i = random.int(1, 9); i > 0; i--) record('page_viewed', random.pick(PAGE_VIEW_SOURCES))
    for (let i = random.int(0, 4); i > 0; i--) record('verified', random.pick(VERIFIED_THROUGH), 'valid')
    for (let i = random.int(0, 2); i > 0; i--) record('pdf_downloaded', 'web')
    if (random.chance(0.3)) record('json_downloaded', 'web')
    if (random.chance(0.35)) record('linkedin_clicked', 'linkedin')
  }
  await flushCredentialEvents(timeline.at(today))
}
