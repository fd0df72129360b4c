import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { sql } from 'drizzle-orm'
import { newIssuingOrg, uniqueEmail } from '../../test/support/factories.ts'
import { startTestApp, type TestApp } from '../../test/support/harness.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

describe('error log', () => {
  it('names a failed query by its SQLSTATE and constraint, never by its parameters or values', async () => {
    const { org, apiKey, achievementId } = await newIssuingOrg(testApp)
    const constraint = `refuse_${randomBytes(4).toString('hex')}`
    await testApp.platform.db.execute(sql.raw(`alter table credentials add constraint ${constraint} check (org_id <> '${org.id}') not valid`))
    const recipientName = `Canary ${randomBytes(4).toString('hex')}`
    const recipientEmail = uniqueEmail('canary')
    const response = await testApp.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${org.id}/credentials`,
      headers: { authorization: `Bearer ${apiKey}` },
      payload: { achievementId, recipientName, recipientEmail },
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
