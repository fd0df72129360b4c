import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { eq } from 'drizzle-orm'
import { strFromU8, unzipSync } from 'fflate'
import { newOrg, uniqueEmail } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import { until } from '../../../../test/support/until.ts'
import { latestExportForRequest } from '../export/service.ts'
import { privacyRequests } from './schema.ts'

let testApp: TestApp

before(async () => {
  testApp = await startTestApp({ worker: true })
})
after(() => testApp.close())

describe('completing an access request', () => {
  it('exports the data of a person without an account, which staff download from the request and no other org can', async () => {
    const { org, owner } = await newOrg(testApp, 'Access Org')
    const email = uniqueEmail('access')
    testApp.personalData.add(email)
    const publicClient = testApp.client()
    await publicClient.get(`/privacy/request?org=${org.id}`)
    const asked = await publicClient.submit(`/privacy/request?org=${org.id}`, { type: 'access', email, name: 'Pat Public' })
    assert.equal(asked.statusCode, 200, textOf(asked.body).slice(0, 300))
    const [request] = await testApp.platform.db.select().from(privacyRequests).where(eq(privacyRequests.subjectEmail, email))
    assert.ok(request)

    const staffClient = testApp.client()
    await staffClient.signIn(owner.email, owner.password)
    const detailUrl = `/orgs/${org.id}/privacy/requests/${request.id}`
    await staffClient.get(detailUrl)
    for (const action of ['confirm_identity', 'start', 'send_for_approval', 'complete']) {
      assert.equal((await staffClient.submit(detailUrl, { action })).statusCode, 302, action)
    }
    const [completed] = await testApp.platform.db.select().from(privacyRequests).where(eq(privacyRequests.id, request.id))
    assert.equal(completed?.status, 'completed')
    assert.match(completed?.outcome ?? '', /no account, staff send it/)

    await until('the export to be ready', async () => {
      const view = await latestExportForRequest(testApp.platform, request.id)
      assert.notEqual(view?.state, 'failed')
      return view?.state === 'ready' ? view : undefined
    })
    const detail = await staffClient.get(detailUrl)
    assert.match(textOf(detail.body), /Download the export \(ZIP\)/)
    assert.ok(detail.body.includes(`${detailUrl}/export`), 'the page links the staff download')

    const download = await staffClient.get(`${detailUrl}/export`)
    assert.equal(download.statusCode, 200)
    assert.equal(download.headers['content-type'], 'application/zip')
    assert.equal(download.rawPayload.subarray(0, 2).toString('latin1'), 'PK')
    const files = unzipSync(new Uint8Array(download.rawPayload))
    const json = Object.entries(files)
      .filter(([name]) => name.endsWith('.json'))
      .map(([, bytes]) => strFromU8(bytes))
      .join('\n')
    assert.ok(json.includes(email), 'the export holds the subject’s email')

    const other = await newOrg(testApp, 'Other Access Org')
    const otherClient = testApp.client()
    await otherClient.signIn(other.owner.email, other.owner.password)
    assert.equal((await otherClient.get(`/orgs/${other.org.id}/privacy/requests/${request.id}/export`)).statusCode, 404)
    assert.equal((await otherClient.get(`/orgs/${org.id}/privacy/requests/${request.id}/export`)).statusCode, 404)
  })
})
