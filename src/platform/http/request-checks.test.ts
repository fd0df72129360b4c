import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { newIssuingOrg, uniqueEmail } from '../../../test/support/factories.ts'
import { startTestApp, TEST_PUBLIC_URL, type TestApp, type TestClient, textOf } from '../../../test/support/harness.ts'
import { getOrg, listPendingInvitations } from '../../features/orgs/service.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

/** A new issuing org, its owner signed in in a browser-like client, and what its pending invitations are. */
async function ownerOfNewOrg() {
  const issuing = await newIssuingOrg(testApp)
  const client = testApp.client()
  await client.signIn(issuing.owner.email, issuing.owner.password)
  const invited = async () => (await listPendingInvitations(testApp.platform, issuing.scope)).map((invitation) => invitation.email)
  return { ...issuing, client, invited }
}

function inviteByJson(client: TestClient, orgId: string, email: string, headers: Record<string, string>) {
  return client.request({
    method: 'POST',
    url: `/api/v1/orgs/${orgId}/invitations`,
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    payload: JSON.stringify({ email, role: 'member' }),
  })
}

describe('cross-site requests', () => {
  it('refuses a JSON call made with a login session from another site, and creates nothing', async () => {
    const { org, client, invited } = await ownerOfNewOrg()
    const fromElsewhere: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: TEST_PUBLIC_URL, 'sec-fetch-site': 'cross-site' },
    ]
    for (const headers of fromElsewhere) {
      const response = await inviteByJson(client, org.id, uniqueEmail('forged'), headers)
      assert.equal(response.statusCode, 403, JSON.stringify(headers))
      assert.equal(response.json().code, 'cross_site_request')
    }
    assert.deepEqual(await invited(), [])
  })

  it('accepts the same call from Laurel’s own pages, at PUBLIC_URL or at the address the browser used', async () => {
    const { org, client, invited } = await ownerOfNewOrg()
    const first = uniqueEmail('same-origin')
    const second = uniqueEmail('same-host')
    const third = uniqueEmail('fetch-metadata')
    assert.equal((await inviteByJson(client, org.id, first, { origin: TEST_PUBLIC_URL, 'sec-fetch-site': 'same-origin' })).statusCode, 201)
    assert.equal((await inviteByJson(client, org.id, second, { host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' })).statusCode, 201)
    assert.equal((await inviteByJson(client, org.id, third, { origin: 'null', 'sec-fetch-site': 'same-origin' })).statusCode, 201, 'Sec-Fetch-Site decides')
    assert.deepEqual(await invited(), [first, second, third])
  })

  it('leaves API-key calls alone, whatever their Origin', async () => {
    const { org, apiKey, invited } = await ownerOfNewOrg()
    const email = uniqueEmail('api-key')
    const response = await testApp.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${org.id}/invitations`,
      headers: { authorization: `Bearer ${apiKey}`, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      payload: { email, role: 'member' },
    })
    assert.equal(response.statusCode, 201)
    assert.deepEqual(await invited(), [email])
  })

  it('accepts a form from its own page and refuses the same form, token and all, from another site', async () => {
    const { org, client, invited } = await ownerOfNewOrg()
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await client.get(`/orgs/${org.id}/members`)).body)?.[1] ?? ''
    const postForm = (email: string, headers: Record<string, string>) =>
      client.request({
        method: 'POST',
        url: `/orgs/${org.id}/invitations`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: new URLSearchParams({ email, role: 'member', _csrf: csrf }).toString(),
      })
    const email = uniqueEmail('form')
    assert.equal((await postForm(email, { origin: TEST_PUBLIC_URL, 'sec-fetch-site': 'same-origin' })).statusCode, 302)
    const forged = await postForm(uniqueEmail('forged-form'), { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })
    assert.equal(forged.statusCode, 403)
    assert.match(forged.body, /came from another site/)
    assert.deepEqual(await invited(), [email])
  })
})

describe('control characters', () => {
  async function issueByApi(body: Record<string, unknown>) {
    const { org, apiKey, achievementId } = await newIssuingOrg(testApp)
    return testApp.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${org.id}/credentials`,
      headers: { authorization: `Bearer ${apiKey}` },
      payload: { achievementId, recipientName: 'Ada Lovelace', recipientEmail: uniqueEmail(), ...body },
    })
  }

  it('refuses NUL or another control character anywhere in a JSON body with a 400 naming the field', async () => {
    const cases = [
      { body: { recipientName: 'nul\u0000' }, field: 'recipientName', character: 'U+0000' },
      { body: { recipientName: 'bell\u0007' }, field: 'recipientName', character: 'U+0007' },
      { body: { evidence: [{ name: 'Report', narrative: 'red \u001b[31m' }] }, field: 'evidence.0.narrative', character: 'U+001B' },
    ]
    for (const { body, field, character } of cases) {
      const response = await issueByApi(body)
      assert.equal(response.statusCode, 400, field)
      assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8')
      assert.equal(response.json().code, 'control_character')
      assert.deepEqual(response.json().errors, [{ field, message: `Remove the control character (${character}).` }])
    }
  })

  it('keeps tabs and line breaks in text', async () => {
    const response = await issueByApi({ evidence: [{ name: 'Report', narrative: 'line one\r\n\tline two' }] })
    assert.equal(response.statusCode, 201)
  })

  it('refuses one in a form field with a page naming the field, and changes nothing', async () => {
    const { org, scope, client } = await ownerOfNewOrg()
    await client.get(`/orgs/${org.id}/settings`)
    const response = await client.submit(`/orgs/${org.id}/settings`, { name: 'nul\u0000 Org', timeZone: 'UTC' })
    assert.equal(response.statusCode, 400)
    assert.match(textOf(response.body), /The field name contains a control character \(U\+0000\)/)
    assert.equal((await getOrg(testApp.platform.db, scope)).name, org.name)
  })

  it('refuses one in a query string or a path parameter', async () => {
    const { org, apiKey } = await newIssuingOrg(testApp)
    const headers = { authorization: `Bearer ${apiKey}` }
    for (const [url, field] of [
      [`/api/v1/orgs/${org.id}/credentials?search=%00`, 'search'],
      [`/api/v1/orgs/${org.id}%00/credentials`, 'orgId'],
    ] as const) {
      const response = await testApp.app.inject({ url, headers })
      assert.equal(response.statusCode, 400, url)
      assert.equal(response.json().errors[0].field, field)
    }
  })
})
