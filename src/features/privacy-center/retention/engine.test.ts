import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { desc, eq } from 'drizzle-orm'
import { runCli } from '../../../../test/support/cli.ts'
import { startTestApp, type TestApp } from '../../../../test/support/harness.ts'
import { privacyProviders } from '../../../app.ts'
import { auditEntries } from '../../../platform/audit/schema.ts'
import type { Db } from '../../../platform/db/client.ts'
import { mailMessages } from '../../../platform/mail/schema.ts'
import { eraseSubject, type RetentionPeriod, type Subject } from '../../../platform/privacy/registry.ts'
import { runRule } from '../../../platform/privacy/retention.ts'
import { eventTotals, totalsByAchievement } from '../../credentials/analytics/analytics.ts'
import { credentialEventsRule } from '../../credentials/retention.ts'
import { achievements, credentialEventMonths, credentialEvents, credentials } from '../../credentials/schema.ts'
import { accountEmails, accounts, emailTokens, guardianLinks, loginSessions } from '../../identity/schema.ts'
import { invitations, orgs } from '../../orgs/schema.ts'
import { periodInWords } from '../categories.ts'
import { dataExports } from '../export/schema.ts'
import { privacySettings } from '../schema.ts'
import { declaredRules, runRetention } from './engine.ts'
import { runRetentionIfDue } from './schedule.ts'
import { retentionRuns } from './schema.ts'

const HOUR_MS = 3600_000
const DAY_MS = 24 * HOUR_MS

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

const token = () => randomBytes(16).toString('hex')

async function newAccount(at = testApp.clock.now(), isVerified = true): Promise<string> {
  const [row] = await testApp.platform.db
    .insert(accounts)
    .values({ email: `${token()}@example.test`, name: 'Retention Test', passwordHash: 'x', emailVerifiedAt: isVerified ? at : null, createdAt: at })
    .returning({ id: accounts.id })
  assert.ok(row)
  return row.id
}

async function newOrgRow(): Promise<string> {
  const [row] = await testApp.platform.db.insert(orgs).values({ name: 'Retention Org' }).returning({ id: orgs.id })
  assert.ok(row)
  return row.id
}

async function newMessage(at: Date, orgId: string | null = null): Promise<string> {
  const [row] = await testApp.platform.db
    .insert(mailMessages)
    .values({ orgId, toAddress: 'someone@example.test', subject: 'Hello', bodyEncrypted: 'ciphertext', status: 'sent', createdAt: at, sentAt: at })
    .returning({ id: mailMessages.id })
  assert.ok(row)
  return row.id
}

async function isMessageTextKept(id: string): Promise<boolean> {
  const [row] = await testApp.platform.db.select({ body: mailMessages.bodyEncrypted }).from(mailMessages).where(eq(mailMessages.id, id))
  return row?.body !== ''
}

async function newCredentialEvent(at: Date, orgId = 'org_analytics', achievementId: string | null = null): Promise<string> {
  const [row] = await testApp.platform.db
    .insert(credentialEvents)
    .values({ orgId, credentialId: `cred_${token()}`, achievementId, kind: 'verified', channel: 'page', outcome: 'valid', occurredAt: at })
    .returning({ id: credentialEvents.id })
  assert.ok(row)
  return row.id
}

/** An account holding one credential, which expires at `at`. */
async function newHolder(at: Date): Promise<string> {
  const accountId = await newAccount()
  const [account] = await testApp.platform.db.select({ email: accounts.email }).from(accounts).where(eq(accounts.id, accountId))
  await testApp.platform.db.insert(credentials).values({
    orgId: 'org_lapsed',
    recipientEmail: account?.email,
    recipientName: 'Retention Test',
    validFrom: new Date(at.getTime() - 365 * DAY_MS),
    validUntil: at,
    document: {},
    revocationListId: `sl_${token()}`,
    revocationIndex: 0,
    suspensionListId: `sl_${token()}`,
    suspensionIndex: 0,
  })
  return accountId
}

async function auditEntry(action: string): Promise<string> {
  const target = token()
  testApp.platform.audit.record({ action, target, ip: '192.0.2.1', userAgent: 'Test', data: { path: '/' } })
  await testApp.platform.audit.flush()
  return target
}

async function auditRow(target: string) {
  const [row] = await testApp.platform.db.select().from(auditEntries).where(eq(auditEntries.target, target))
  return row
}

/**
 * For each rule: `seed(at)` makes a row whose period starts at `at` and returns how to find it; `isKept`
 * says whether it is still as it was. A rule without a seeder here fails the test.
 */
const seeders: Record<string, { seed(at: Date): Promise<string>; isKept(id: string): Promise<boolean> }> = {
  'audit.request-entries': {
    seed: () => auditEntry('http.page_request'),
    isKept: async (target) => (await auditRow(target))?.prunedAt === null,
  },
  'audit.ip-addresses': {
    seed: () => auditEntry('identity.sign_in'),
    isKept: async (target) => (await auditRow(target))?.ip !== null,
  },
  'mail.message-bodies': { seed: (at) => newMessage(at), isKept: isMessageTextKept },
  'credentials.aggregate-events': {
    seed: (at) => newCredentialEvent(at),
    isKept: async (id) => (await testApp.platform.db.select().from(credentialEvents).where(eq(credentialEvents.id, id))).length === 1,
  },
  'credentials.lapsed-holders': {
    seed: newHolder,
    isKept: async (id) => (await testApp.platform.db.select().from(accounts).where(eq(accounts.id, id)))[0]?.disabledAt === null,
  },
  'identity.unverified-sign-ups': {
    seed: (at) => newAccount(at, false),
    isKept: async (id) => (await testApp.platform.db.select().from(accounts).where(eq(accounts.id, id))).length === 1,
  },
  'identity.email-tokens': {
    async seed(at) {
      const [row] = await testApp.platform.db
        .insert(emailTokens)
        .values({ accountId: await newAccount(), purpose: 'verify_email', tokenHash: token(), createdAt: at, expiresAt: new Date(at.getTime() + 48 * HOUR_MS) })
        .returning({ id: emailTokens.id })
      return row?.id ?? ''
    },
    isKept: async (id) => (await testApp.platform.db.select().from(emailTokens).where(eq(emailTokens.id, id))).length === 1,
  },
  'identity.guardian-links': {
    async seed(at) {
      const childAccountId = await newAccount()
      await testApp.platform.db
        .insert(guardianLinks)
        .values({ childAccountId, guardianEmail: `${token()}@example.test`, tokenHash: token(), tokenExpiresAt: new Date(at.getTime() + 7 * DAY_MS) })
      return childAccountId
    },
    isKept: async (id) => (await testApp.platform.db.select().from(guardianLinks).where(eq(guardianLinks.childAccountId, id)))[0]?.tokenHash != null,
  },
  'data-exports.expired': {
    async seed(at) {
      const [row] = await testApp.platform.db
        .insert(dataExports)
        .values({ email: `${token()}@example.test`, status: 'ready', createdAt: at, expiresAt: new Date(at.getTime() + 7 * DAY_MS) })
        .returning({ id: dataExports.id })
      return row?.id ?? ''
    },
    isKept: async (id) => (await testApp.platform.db.select().from(dataExports).where(eq(dataExports.id, id))).length === 1,
  },
  'identity.pending-emails': {
    async seed(at) {
      const [row] = await testApp.platform.db
        .insert(accountEmails)
        .values({
          accountId: await newAccount(),
          email: `${token()}@example.test`,
          tokenHash: token(),
          tokenExpiresAt: at,
          createdAt: new Date(at.getTime() - 48 * HOUR_MS),
        })
        .returning({ id: accountEmails.id })
      return row?.id ?? ''
    },
    isKept: async (id) => (await testApp.platform.db.select().from(accountEmails).where(eq(accountEmails.id, id))).length === 1,
  },
  'identity.login-sessions': {
    async seed(at) {
      const [row] = await testApp.platform.db
        .insert(loginSessions)
        .values({ accountId: await newAccount(), tokenHash: token(), createdAt: at, expiresAt: new Date(at.getTime() + DAY_MS) })
        .returning({ id: loginSessions.id })
      return row?.id ?? ''
    },
    isKept: async (id) => (await testApp.platform.db.select().from(loginSessions).where(eq(loginSessions.id, id))).length === 1,
  },
  'orgs.finished-invitations': {
    async seed(at) {
      const [row] = await testApp.platform.db
        .insert(invitations)
        .values({
          orgId: await newOrgRow(),
          email: `${token()}@example.test`,
          role: 'member',
          tokenHash: token(),
          createdAt: new Date(at.getTime() - 14 * DAY_MS),
          expiresAt: at,
        })
        .returning({ id: invitations.id })
      return row?.id ?? ''
    },
    isKept: async (id) => (await testApp.platform.db.select().from(invitations).where(eq(invitations.id, id))).length === 1,
  },
}

function eraseForTest(tx: Db, subject: Subject): Promise<void> {
  return eraseSubject(tx, testApp.platform.memo, privacyProviders, subject)
}

function lengthOf(period: RetentionPeriod): number {
  return ((period.months ?? 0) * 31 + (period.days ?? 0)) * DAY_MS + (period.hours ?? 0) * HOUR_MS
}

const NUMBER_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, six: 6, seven: 7, twelve: 12, thirteen: 13 }
const PERIOD_IN_WORDS = /\b(\d+|one|two|three|six|seven|twelve|thirteen)[ -](hour|day|month|year)s?\b/gi

/** The periods a retention text states, in the units rules use ("one year" is 12 months or 365 days). */
function periodsIn(text: string): string[] {
  return [...text.matchAll(PERIOD_IN_WORDS)].map(([, amount = '', unit = '']) => {
    const value = NUMBER_WORDS[amount.toLowerCase()] ?? Number(amount)
    return `${value} ${unit.toLowerCase()}`
  })
}

function statesPeriod(text: string, period: RetentionPeriod): boolean {
  const stated = periodsIn(text)
  const described = periodInWords(period).replace(/s\b/g, '')
  const years = period.days && period.days % 365 === 0 ? `${period.days / 365} year` : undefined
  return stated.includes(described) || (years !== undefined && stated.includes(years))
}

describe('retention rules', () => {
  const rules = declaredRules(privacyProviders)

  it('has a rule for every retention that states a time limit, and states each rule’s period in its text', () => {
    for (const provider of privacyProviders) {
      for (const stored of provider.stores) {
        const where = `${provider.name} / ${stored.table}: “${stored.retention}”`
        if (periodsIn(stored.retention).length > 0) assert.ok((stored.rules ?? []).length > 0, `${where} states a time limit but has no rule`)
        for (const rule of stored.rules ?? [])
          assert.ok(statesPeriod(stored.retention, rule.period), `${where} does not state ${rule.key}'s ${periodInWords(rule.period)}`)
      }
    }
  })

  it('has a seeder here for every rule, so each is proven below', () => {
    assert.deepEqual(
      rules.map(({ rule }) => rule.key).filter((key) => !seeders[key]),
      [],
    )
  })

  for (const { rule } of declaredRules(privacyProviders)) {
    it(`${rule.key} removes ${rule.what} older than ${periodInWords(rule.period)}, and nothing newer`, async () => {
      const seeder = seeders[rule.key]
      assert.ok(seeder)
      const { db } = testApp.platform
      const { clock } = testApp
      const old = await seeder.seed(clock.now())
      clock.advance(lengthOf(rule.period) + DAY_MS)
      const young = await seeder.seed(clock.now())
      assert.ok(await seeder.isKept(old))
      const wouldRemove = await runRule(db, rule, { now: clock.now(), dryRun: true })
      assert.ok(await seeder.isKept(old), 'a dry run changes nothing')
      const removed = await db.transaction((tx) => runRule(tx, rule, { now: clock.now(), dryRun: false, erase: (subject) => eraseForTest(tx, subject) }))
      assert.equal(removed, wouldRemove)
      assert.ok(removed >= 1)
      assert.equal(await seeder.isKept(old), false, 'the old row is gone')
      assert.equal(await seeder.isKept(young), true, 'the new row stays')
      assert.equal(await runRule(db, rule, { now: clock.now(), dryRun: true }), 0)
    })
  }
})

describe('credential analytics after folding', () => {
  it('still counts folded events in the totals, per channel and per achievement', async () => {
    const { db } = testApp.platform
    const { clock } = testApp
    const orgId = await newOrgRow()
    const [achievement] = await db.insert(achievements).values({ orgId, name: 'Folded', description: 'd', criteria: 'c' }).returning({ id: achievements.id })
    assert.ok(achievement)
    const old = clock.now()
    await newCredentialEvent(old, orgId, achievement.id)
    await newCredentialEvent(old, orgId, achievement.id)
    clock.advance(14 * 31 * DAY_MS)
    await newCredentialEvent(clock.now(), orgId, achievement.id)
    const before = await eventTotals(db, { orgId })
    const beforeByAchievement = await totalsByAchievement(db, orgId, new Date(0))
    assert.equal((await runRule(db, credentialEventsRule, { now: clock.now(), dryRun: false })) >= 2, true)
    assert.equal((await db.select().from(credentialEvents).where(eq(credentialEvents.orgId, orgId))).length, 1)
    const folded = await db.select().from(credentialEventMonths).where(eq(credentialEventMonths.orgId, orgId))
    assert.equal(
      folded.reduce((sum, row) => sum + row.total, 0),
      2,
    )
    assert.deepEqual(await eventTotals(db, { orgId }), before)
    assert.equal(before.verificationsByChannel.page, 3)
    assert.deepEqual(await totalsByAchievement(db, orgId, new Date(0)), beforeByAchievement)
    assert.equal(beforeByAchievement[0]?.verifications, 3)
  })
})

describe('runRetention', () => {
  it('reports the same counts in a dry run and a run, audits the run, and then finds nothing left', async () => {
    const { platform, clock } = testApp
    for (const seeder of Object.values(seeders)) await seeder.seed(clock.now())
    clock.advance(400 * DAY_MS)
    const dryRun = await runRetention(platform, { dryRun: true, trigger: 'command' })
    const run = await runRetention(platform, { dryRun: false, trigger: 'staff', actorAccountId: 'acct_staff' })
    const countsOf = (report: typeof run) => Object.fromEntries(report.outcomes.map(({ rule, count }) => [rule.key, count]))
    assert.deepEqual(countsOf(run), countsOf(dryRun))
    for (const key of Object.keys(seeders)) assert.ok((countsOf(run)[key] ?? 0) >= 1, `${key} removed the seeded row`)
    const again = await runRetention(platform, { dryRun: false, trigger: 'staff' })
    assert.deepEqual(
      again.outcomes.filter(({ count }) => count > 0).map(({ rule }) => rule.key),
      [],
    )

    await platform.audit.flush()
    const [entry] = await platform.db
      .select()
      .from(auditEntries)
      .where(eq(auditEntries.action, 'privacy.retention_run'))
      .orderBy(desc(auditEntries.seq))
      .limit(2)
      .offset(1)
    assert.equal(entry?.actorAccountId, 'acct_staff')
    assert.deepEqual(entry?.data, { trigger: 'staff', counts: countsOf(run) })
    const runs = await platform.db.select().from(retentionRuns).where(eq(retentionRuns.trigger, 'staff'))
    assert.equal(runs.length, 2)
  })

  it('uses each org’s chosen period within the rule’s bounds', async () => {
    const { platform, clock } = testApp
    const [shortOrg, defaultOrg, tooShortOrg] = [await newOrgRow(), await newOrgRow(), await newOrgRow()]
    await platform.db.insert(privacySettings).values([
      { orgId: shortOrg, retentionDays: { 'mail.message-bodies': 30 } },
      { orgId: tooShortOrg, retentionDays: { 'mail.message-bodies': 1 } },
    ])
    const at = new Date(clock.now().getTime() - 40 * DAY_MS)
    const [short, normal, tooShort] = [
      await newMessage(at, shortOrg),
      await newMessage(at, defaultOrg),
      await newMessage(new Date(clock.now().getTime() - 20 * DAY_MS), tooShortOrg),
    ]
    await runRetention(platform, { dryRun: false, trigger: 'command' })
    assert.equal(await isMessageTextKept(short), false, '30 days chosen: emptied after 40')
    assert.equal(await isMessageTextKept(normal), true, 'default 90 days: kept after 40')
    assert.equal(await isMessageTextKept(tooShort), true, '1 day chosen is below the 30-day minimum: kept after 20')
  })

  it('runs on schedule once a day', async () => {
    assert.equal(await runRetentionIfDue(testApp.platform), true)
    assert.equal(await runRetentionIfDue(testApp.platform), false)
    testApp.clock.advance(23 * HOUR_MS)
    assert.equal(await runRetentionIfDue(testApp.platform), false)
    testApp.clock.advance(2 * HOUR_MS)
    assert.equal(await runRetentionIfDue(testApp.platform), true)
  })

  it('`laurel retention --dry-run` prints each rule with what it would remove, and changes nothing', async () => {
    const result = await runCli(['retention', '--dry-run'], testApp.environment.env)
    assert.equal(result.code, 0, result.stderr)
    for (const { rule } of declaredRules(privacyProviders))
      assert.ok(
        result.stdout.split('\n').some((line) => line.startsWith(`${rule.key} `) && line.includes(rule.what)),
        `${rule.key} is listed`,
      )
    assert.match(result.stdout, /nothing was changed/)
  })
})
