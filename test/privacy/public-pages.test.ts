import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'drizzle-orm'
import { issueCredential } from '../../src/features/credentials/issuance/issuance.ts'
import { newIssuingOrg, newPerson } from '../support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../support/harness.ts'

/** What public credential pages promise: no visitor's IP address stored, out of search engines unless the holder opts in. */
let testApp: TestApp
let issuing: Awaited<ReturnType<typeof newIssuingOrg>>

before(async () => {
  testApp = await startTestApp()
  issuing = await newIssuingOrg(testApp)
})
after(() => testApp.close())

async function auditOf(path: string) {
  await testApp.platform.audit.flush()
  const rows = await testApp.platform.db.execute<{ ip: string | null; user_agent: string | null }>(
    sql`select ip, user_agent from audit_entries where data->>'path' = ${path}`,
  )
  return rows.rows
}

const issueTo = async (email: string) =>
  (await issueCredential(testApp.platform, issuing.scope, { achievementId: issuing.achievementId, recipientEmail: email, recipientName: 'Page Holder' }))
    .credential

describe('public credential pages', () => {
  it('store no IP address or browser of any visitor, signed in or not, as the page says', async () => {
    const credential = await issueTo((await newPerson(testApp)).email)
    const page = await testApp.client().get(`/credentials/${credential.id}`)
    assert.match(textOf(page.body), /we store no IP addresses/)
    for (const path of [`/credentials/${credential.id}`, `/credentials/${credential.id}.json`, '/verify']) {
      const anonymous = testApp.client({ ip: '203.0.113.7' })
      await anonymous.get(path)
      const visitor = await newPerson(testApp)
      const signedIn = testApp.client({ ip: '203.0.113.8' })
      await signedIn.signIn(visitor.email, visitor.password)
      await signedIn.get(path)
      const entries = await auditOf(path)
      assert.ok(entries.length > 0, `the signed-in visit to ${path} is audited`)
      assert.deepEqual(
        entries,
        entries.map(() => ({ ip: null, user_agent: null })),
        `no address or browser kept for ${path}`,
      )
    }
    // Other pages keep them, for the security audit.
    const member = testApp.client({ ip: '203.0.113.9' })
    await member.signIn(issuing.owner.email, issuing.owner.password)
    await member.get('/orgs')
    assert.ok((await auditOf('/orgs')).some((entry) => entry.ip === '203.0.113.9'))
  })

  it('keep credential pages out of search engines until the holder opts in', async () => {
    const holder = await newPerson(testApp)
    const credential = await issueTo(holder.email)
    const path = `/credentials/${credential.id}`
    const hidden = await testApp.client().get(path)
    assert.equal(hidden.headers['x-robots-tag'], 'noindex')
    assert.match(hidden.body, /<meta name="robots" content="noindex"/)
    assert.equal((await testApp.client().get(`${path}.json`)).headers['x-robots-tag'], 'noindex')
    const robots = (await testApp.client().get('/robots.txt')).body
    assert.match(robots, /^User-agent: \*$/m)
    for (const prefix of ['/credentials/', '/me/', '/account/']) assert.ok(robots.includes(`Disallow: ${prefix}\n`), `robots.txt disallows ${prefix}`)
    assert.ok(!robots.includes(credential.id))

    const client = testApp.client()
    await client.signIn(holder.email, holder.password)
    const own = await client.get(path)
    assert.match(textOf(own.body), /Let search engines index this page/)
    await client.submit(`${path}/disclosure`, { show_holderName: 'on', show_issueDate: 'on', indexable: 'on' })
    const indexed = await testApp.client().get(path)
    assert.equal(indexed.headers['x-robots-tag'], undefined)
    assert.ok(!indexed.body.includes('name="robots"'))
    assert.ok((await testApp.client().get('/robots.txt')).body.includes(`Allow: ${path}$\n`))

    await client.submit(`${path}/disclosure`, { show_holderName: 'on' })
    assert.equal((await testApp.client().get(path)).headers['x-robots-tag'], 'noindex', 'unticking opts out again')
  })
})
