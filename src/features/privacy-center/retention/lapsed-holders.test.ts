import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { eq } from 'drizzle-orm'
import { newIssuingOrg, newPerson } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp } from '../../../../test/support/harness.ts'
import { issueCredential } from '../../credentials/issuance/issuance.ts'
import { accounts } from '../../identity/schema.ts'
import { signIn } from '../../identity/sign-in.ts'
import { members } from '../../orgs/schema.ts'
import { addMember } from '../../orgs/service.ts'
import { runRetention } from './engine.ts'

const DAY_MS = 24 * 3600_000
const origin = { ip: '192.0.2.7', userAgent: 'Test' }

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

/** An org member (or, with `role`, staff) holding one credential of their org, valid until `validUntil`. */
async function memberHolding(validUntil: Date, role: 'member' | 'staff' = 'member') {
  const { scope, achievementId } = await newIssuingOrg(testApp)
  const person = await newPerson(testApp)
  await addMember(testApp.platform, scope, { accountId: person.account.id, role })
  await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: person.email, recipientName: 'Lapsed Holder', validUntil })
  return person
}

describe('credentials.lapsed-holders', () => {
  it('disables and wipes an account whose certifications lapsed 6 months ago, keeping its ID and memberships', async () => {
    const { platform, clock } = testApp
    const lapsed = await memberHolding(clock.now())
    const current = await memberHolding(new Date(clock.now().getTime() + 2 * 365 * DAY_MS))
    const staff = await memberHolding(clock.now(), 'staff')
    clock.advance(6 * 31 * DAY_MS + DAY_MS)

    const report = await runRetention(platform, { dryRun: false, trigger: 'command' })
    assert.equal(report.outcomes.find(({ rule }) => rule.key === 'credentials.lapsed-holders')?.count, 1)

    assert.deepEqual(await signIn(platform, { email: lapsed.email, password: lapsed.password }, origin), { outcome: 'failed', reason: 'bad_credentials' })
    const [account] = await platform.db.select().from(accounts).where(eq(accounts.id, lapsed.account.id))
    assert.ok(account?.disabledAt, 'the account ID stays, disabled')
    assert.equal(account.name, '')
    assert.ok(!account.email.includes(lapsed.email.split('@')[0] ?? lapsed.email), 'the email address is gone')
    assert.equal(account.passwordHash, '')
    assert.equal((await platform.db.select().from(members).where(eq(members.accountId, lapsed.account.id))).length, 1, 'the membership stays')

    const [kept] = await platform.db.select().from(accounts).where(eq(accounts.id, current.account.id))
    assert.deepEqual(kept, current.account, 'an account with a valid credential is untouched')
    assert.equal((await signIn(platform, { email: current.email, password: current.password }, origin)).outcome, 'signed_in')
    assert.equal((await signIn(platform, { email: staff.email, password: staff.password }, origin)).outcome, 'signed_in', 'staff keep their account')
  })
})
