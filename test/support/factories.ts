import { randomBytes } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import { createAchievement } from '../../src/features/credentials/achievements.ts'
import { examSessions } from '../../src/features/exams/schema.ts'
import { createApiKey } from '../../src/features/identity/api-keys.ts'
import { type Account, createAccount } from '../../src/features/identity/service.ts'
import { createOrg, type Org, type OrgScope } from '../../src/features/orgs/service.ts'
import type { TestApp } from './harness.ts'

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

/** Today in UTC, read once, so two times on the same day stay on the same day when a test runs past midnight. */
const TODAY_MS = Math.floor(Date.now() / DAY_MS) * DAY_MS

/** `hour` o'clock UTC on the day `days` days from the day the tests started: whole hours, so schedules read plainly. */
export const utcHourInDays = (days: number, hour: number) => new Date(TODAY_MS + days * DAY_MS + hour * HOUR_MS)

/**
 * Moves an exam session to start `minutesFromNow` minutes from the app's now (negative: it has begun), keeping
 * its length: as if its day had come, since an exam session cannot be scheduled in the past.
 */
export async function moveExamSession(testApp: TestApp, sessionId: string, minutesFromNow: number): Promise<void> {
  const startsAt = new Date(testApp.platform.clock.now().getTime() + minutesFromNow * 60_000)
  await testApp.platform.db
    .update(examSessions)
    .set({ startsAt, endsAt: sql`${startsAt.toISOString()}::timestamptz + (${examSessions.endsAt} - ${examSessions.startsAt})` })
    .where(eq(examSessions.id, sessionId))
}

export const strongPassword = () => `Tq9!${randomBytes(9).toString('base64url')}-laurel`

export function uniqueEmail(label = 'person'): string {
  return `${label}.${randomBytes(5).toString('hex')}@example.org`
}

export interface PersonFixture {
  account: Account
  email: string
  password: string
}

/** A verified account with a strong password, registered as a test secret. */
export async function newPerson(testApp: TestApp, options: { name?: string; email?: string } = {}): Promise<PersonFixture> {
  const email = options.email ?? uniqueEmail()
  const password = strongPassword()
  testApp.secrets.add(password)
  testApp.personalData.add(email)
  const account = await createAccount(testApp.platform, { email, name: options.name ?? 'Test Person', password, isEmailVerified: true })
  return { account, email, password }
}

/** An org owned by a new person. */
export async function newOrg(testApp: TestApp, name = 'Test Org'): Promise<{ org: Org; owner: PersonFixture }> {
  const owner = await newPerson(testApp, { name: 'Org Owner' })
  const org = await createOrg(testApp.platform, owner.account.id, { name })
  return { org, owner }
}

/** A new org with one achievement to issue, and its owner's write API key (a secret the logs must not hold). */
export async function newIssuingOrg(testApp: TestApp) {
  const { org, owner } = await newOrg(testApp)
  const scope: OrgScope = { orgId: org.id, accountId: owner.account.id, role: 'owner' }
  const achievement = await createAchievement(testApp.platform, scope, {
    name: 'First Aid',
    description: 'd',
    criteria: 'c',
    tags: [],
    alignments: [],
    validityMonths: 12,
  })
  const { secret } = await createApiKey(testApp.platform, { accountId: owner.account.id, orgId: org.id, name: 'k', scope: 'write' })
  testApp.secrets.add(secret)
  return { org, owner, scope, achievementId: achievement.id, apiKey: secret }
}

/** The first link in the newest outbox message to `to` whose path starts with `pathPrefix`, as a path with query. */
export async function linkFromOutbox(testApp: TestApp, to: string, pathPrefix: string): Promise<string> {
  const messages = await testApp.platform.mailer.listOutbox(testApp.platform.db, { to })
  for (const message of messages) {
    for (const match of message.text.matchAll(/https?:\/\/[^\s]+/g)) {
      const url = new URL(match[0])
      if (url.pathname.startsWith(pathPrefix)) {
        const token = url.searchParams.get('token')
        if (token) testApp.secrets.add(token)
        return `${url.pathname}${url.search}`
      }
    }
  }
  throw new Error(`No email to ${to} with a link to ${pathPrefix}.`)
}
