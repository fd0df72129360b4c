import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { sql } from 'drizzle-orm'
import { newOrg, uniqueEmail } from '../../test/support/factories.ts'
import { startTestApp, type TestApp } from '../../test/support/harness.ts'
import { createAchievement } from '../features/credentials/achievements.ts'
import { createApiKey } from '../features/identity/api-keys.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

describe('error log', () => {
  it('names a failed query by its SQLSTATE and constraint, never by its parameters or values', async () => {
    const { org, owner } = await newOrg(testApp)
    const scope = { orgId: org.id, accountId: owner.account.id, role: 'owner' as const }
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
    const constraint = `refuse_${randomBytes(4).toString('hex')}`
    await testApp.platform.db.execute(sql.raw(`alter table credentials add constraint ${constraint} check (org_id <> '${org.id}') not valid`))
    const recipientName = `Canary ${randomBytes(4).toString('hex')}`
    const recipientEmail = uniqueEmail('canary')
    const response = await testApp.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${org.id}/credentials`,
      headers: { authorization: `Bearer ${secret}` },
      payload: { achievementId: achievement.id, recipientName, recipientEmail },
    })
    assert.equal(response.statusCode, 500)
    const errorLines = testApp
      .logs()
      .split('\n')
      .filter((line) => line.includes('"request failed"'))
    assert.equal(errorLines.length, 1)
    const [line = ''] = errorLines
    for (const personal of [recipientName, recipientEmail, 'OpenBadgeCredential', 'proofValue'])
      assert.ok(!line.includes(personal), `the log holds ${personal}`)
    assert.match(line, /SQLSTATE 23514/)
    assert.match(line, new RegExp(`"constraint":"${constraint}"`))
  })
})
