import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { and, eq } from 'drizzle-orm'
import { strFromU8, unzipSync } from 'fflate'
import { newIssuingOrg, newPerson, type PersonFixture } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, type TestClient, textOf } from '../../../../test/support/harness.ts'
import { until } from '../../../../test/support/until.ts'
import { auditEntries } from '../../../platform/audit/schema.ts'
import { jobProgress } from '../../../platform/jobs/schema.ts'
import { type CredentialRow, issueCredential, verifyDocument } from '../../credentials/service.ts'
import { dataExportsPrivacy } from './privacy.ts'
import { dataExports } from './schema.ts'
import { ExportSection } from './section.tsx'
import { deleteExpiredDataExports, downloadDataExportForRequest, EXPORTS_PER_DAY, getDataExport, getDataExportById, requestDataExport } from './service.ts'

let testApp: TestApp
let holder: PersonFixture
let holderClient: TestClient
const issued: CredentialRow[] = []
const HOLDER_NAME = 'Zoë Canary-Ångström'
const json = { accept: 'application/json' }

interface ExportJson {
  id: string
  state: string
  expiresAt: string
  progress: { done: number; total: number; percent: number }
  downloadUrl: string | null
}

async function apiGet(client: TestClient, url: string) {
  return client.request({ method: 'GET', url, headers: json })
}

async function waitUntilReady(client: TestClient, exportId: string): Promise<ExportJson> {
  return until('the export to be ready', async () => {
    const view = (await apiGet(client, `/api/v1/me/exports/${exportId}`)).json<ExportJson>()
    assert.notEqual(view.state, 'failed')
    return view.state === 'ready' ? view : undefined
  })
}

before(async () => {
  testApp = await startTestApp({ worker: true })
  const { scope, achievementId } = await newIssuingOrg(testApp)
  holder = await newPerson(testApp, { name: HOLDER_NAME })
  testApp.personalData.add(HOLDER_NAME)
  for (let i = 0; i < 2; i++) {
    issued.push((await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: holder.email, recipientName: HOLDER_NAME })).credential)
  }
  holderClient = testApp.client()
  await holderClient.signIn(holder.email, holder.password)
})
after(() => testApp.close())

describe('download all my data', () => {
  let exportId = ''
  let files: Record<string, Uint8Array> = {}

  it('a signed-in person asks on My data and watches a progress bar until the download link appears', async () => {
    const empty = await holderClient.get('/account/privacy')
    assert.equal(empty.statusCode, 200)
    assert.match(textOf(empty.body), /You have not downloaded your data yet/)

    const asked = await holderClient.submit('/account/privacy/exports', {})
    assert.equal(asked.statusCode, 302)
    assert.equal(asked.headers.location, '/account/privacy')
    const listed = (await apiGet(holderClient, '/api/v1/me/exports')).json<{ items: ExportJson[] }>()
    assert.equal(listed.items.length, 1)
    exportId = listed.items[0]?.id ?? ''

    const page = await holderClient.get('/account/privacy')
    assert.ok(page.body.includes(`/account/privacy/exports/${exportId}`), 'the page links the export (its progress or its file)')

    const ready = await waitUntilReady(holderClient, exportId)
    assert.equal(ready.progress.percent, 100)
    assert.equal(ready.progress.done, ready.progress.total)
    assert.ok(ready.progress.total >= 2 * issued.length + 2)
    assert.equal(ready.downloadUrl, `/api/v1/me/exports/${exportId}/file`)
    const [job] = await testApp.platform.db
      .select()
      .from(jobProgress)
      .innerJoin(dataExports, eq(dataExports.jobId, jobProgress.jobId))
      .where(eq(dataExports.id, exportId))
    assert.equal(job?.job_progress.state, 'completed')
    assert.equal(job?.job_progress.done, job?.job_progress.total)

    const fragment = await holderClient.get(`/account/privacy/exports/${exportId}/progress`)
    assert.match(textOf(fragment.body), /Download your data \(ZIP\)/)
    assert.match(textOf(fragment.body), /available until/)
  })

  it('while the job runs, the section shows a live progress bar polling the export’s own fragment', async () => {
    const view = await getDataExport(testApp.platform, holder.account.id, exportId)
    const building = { ...view, state: 'building' as const, progress: { state: 'running', done: 3, total: 12, message: 'Adding your credentials' } }
    const html = String(await ExportSection({ exports: [building], csrf: 'token' }))
    assert.match(html, /<progress value="25" max="100"/)
    assert.ok(html.includes(`hx-get="/account/privacy/exports/${exportId}/progress"`))
    assert.match(html, /Prepare a new download/)
  })

  it('the ZIP opens and holds one parsable JSON file per provider with the person’s name and email, a manifest and README', async () => {
    const download = await holderClient.get(`/account/privacy/exports/${exportId}`)
    assert.equal(download.statusCode, 200)
    assert.equal(download.headers['content-type'], 'application/zip')
    assert.match(String(download.headers['content-disposition']), /attachment; filename="laurel-my-data-\d{4}-\d{2}-\d{2}\.zip"/)
    files = unzipSync(new Uint8Array(download.rawPayload))
    const names = Object.keys(files)
    for (const name of ['identity.json', 'credentials.json', 'audit.json', 'data-exports.json', 'manifest.json', 'README.txt'])
      assert.ok(names.includes(name), name)
    for (const name of names.filter((one) => one.endsWith('.json'))) assert.doesNotThrow(() => JSON.parse(strFromU8(files[name] ?? new Uint8Array())), name)
    const identity = strFromU8(files['identity.json'] ?? new Uint8Array())
    assert.ok(identity.includes(holder.email), 'identity.json holds the email')
    assert.ok(identity.includes(HOLDER_NAME), 'identity.json holds the name')
    const manifest = JSON.parse(strFromU8(files['manifest.json'] ?? new Uint8Array())) as { files: { name: string }[] }
    assert.deepEqual(manifest.files.map((file) => file.name).sort(), [...names].sort())
    assert.match(strFromU8(files['README.txt'] ?? new Uint8Array()), /Exported on/)
  })

  it('the ZIP holds each credential’s signed file, which still verifies, and its PDF certificate', async () => {
    for (const credential of issued) {
      const signed = JSON.parse(strFromU8(files[`signed-credentials/${credential.id}.json`] ?? new Uint8Array()))
      assert.deepEqual(signed, credential.document)
      assert.equal((await verifyDocument(testApp.platform, signed)).verdict, 'valid')
      const pdf = files[`certificates/${credential.id}.pdf`]
      assert.ok(pdf, 'a PDF per credential')
      assert.equal(strFromU8(pdf.subarray(0, 4)), '%PDF')
    }
  })

  it('the API serves the same file, and the stored copy is encrypted', async () => {
    const file = await apiGet(holderClient, `/api/v1/me/exports/${exportId}/file`)
    assert.equal(file.statusCode, 200)
    assert.deepEqual(Object.keys(unzipSync(new Uint8Array(file.rawPayload))).sort(), Object.keys(files).sort())
    const [row] = await testApp.platform.db.select({ zip: dataExports.zipEncrypted }).from(dataExports).where(eq(dataExports.id, exportId))
    assert.ok(row?.zip)
    assert.equal(row.zip.subarray(0, 4).toString(), 'lk1:')
    assert.equal(row.zip.indexOf(Buffer.from('PK\u0003\u0004')), -1, 'no ZIP header in the stored bytes')
  })

  it('requests and downloads are audited', async () => {
    await testApp.platform.audit.flush()
    const entries = await testApp.platform.db.select().from(auditEntries).where(eq(auditEntries.target, exportId))
    const requested = entries.filter((entry) => entry.action === 'privacy.export_requested')
    assert.equal(requested.length, 1)
    assert.equal(requested[0]?.actorAccountId, holder.account.id)
    assert.equal(requested[0]?.ip, holderClient.ip)
    const downloads = entries.filter((entry) => entry.action === 'privacy.export_downloaded')
    assert.equal(downloads.length, 2, 'the page and the API download')
    assert.ok(downloads.every((entry) => entry.actorAccountId === holder.account.id && entry.ip === holderClient.ip))
  })

  it('another signed-in person gets "not found" for the link, its progress and the API', async () => {
    const other = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(other.email, other.password)
    assert.equal((await client.get(`/account/privacy/exports/${exportId}`)).statusCode, 404)
    assert.equal((await client.get(`/account/privacy/exports/${exportId}/progress`)).statusCode, 404)
    assert.equal((await apiGet(client, `/api/v1/me/exports/${exportId}`)).statusCode, 404)
    assert.equal((await apiGet(client, `/api/v1/me/exports/${exportId}/file`)).statusCode, 404)
    assert.deepEqual((await apiGet(client, '/api/v1/me/exports')).json(), { items: [] })
    assert.equal((await testApp.client().get(`/account/privacy/exports/${exportId}`)).statusCode, 302, 'signed out: sent to sign in')
  })

  it('survives a key rotation: the ZIP is re-encrypted under the new key and still downloads', async () => {
    const { keyring, encryptedColumns } = testApp.platform
    const newKey = await keyring.createActiveKey()
    assert.ok((await keyring.reencrypt(encryptedColumns, async () => {})) >= 1)
    await keyring.retireKeysOtherThanActive()
    const [row] = await testApp.platform.db.select({ zip: dataExports.zipEncrypted }).from(dataExports).where(eq(dataExports.id, exportId))
    assert.ok(row?.zip?.subarray(0, 40).toString('latin1').startsWith(`lk1:${newKey}:`))
    const download = await holderClient.get(`/account/privacy/exports/${exportId}`)
    assert.deepEqual(Object.keys(unzipSync(new Uint8Array(download.rawPayload))).sort(), Object.keys(files).sort())
  })

  it('staff can export a person without an account for their request', async () => {
    const email = `no-account-${Date.now()}@example.org`
    testApp.personalData.add(email)
    const view = await requestDataExport(testApp.platform, { accountId: null, email }, { requestId: 'preq_test', actor: { accountId: holder.account.id } })
    const ready = await until('the staff export', async () => {
      const current = await getDataExportById(testApp.platform, view.id)
      return current.state === 'ready' ? current : undefined
    })
    assert.ok((ready.fileCount ?? 0) > 2)
    const download = await downloadDataExportForRequest(testApp.platform, view.id, { accountId: holder.account.id })
    assert.equal(download.kind, 'file')
    const names = download.kind === 'file' ? Object.keys(unzipSync(new Uint8Array(download.bytes))) : []
    assert.ok(names.includes('manifest.json') && names.includes('credentials.json'))
  })

  it('the API is documented in OpenAPI', async () => {
    const openapi = (await testApp.app.inject({ url: '/api/docs/json' })).json<{ paths: Record<string, unknown> }>()
    for (const path of ['/api/v1/me/exports', '/api/v1/me/exports/{exportId}', '/api/v1/me/exports/{exportId}/file', '/api/v1/me/access-log']) {
      assert.ok(openapi.paths[path], path)
    }
  })

  it('a person may ask a few times a day, then is told when to ask again', async () => {
    const asker = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(asker.email, asker.password)
    const ask = () => client.request({ method: 'POST', url: '/api/v1/me/exports', headers: json, payload: {} })
    for (let i = 0; i < EXPORTS_PER_DAY; i++) {
      const asked = await ask()
      assert.equal(asked.statusCode, 202)
      await waitUntilReady(client, asked.json<ExportJson>().id)
    }
    const refused = await ask()
    assert.equal(refused.statusCode, 429)
    assert.equal(refused.json<{ code: string }>().code, 'data_export_limit')
    assert.ok(Number(refused.headers['retry-after']) > 0)
  })

  it('after seven days the link says the download expired and to ask again, and the sweep deletes it', async () => {
    testApp.clock.advance(7 * 24 * 3600_000 + 60_000)
    await holderClient.signIn(holder.email, holder.password)
    const expired = await holderClient.get(`/account/privacy/exports/${exportId}`)
    assert.equal(expired.statusCode, 410)
    assert.match(textOf(expired.body), /This download has expired/)
    assert.match(textOf(expired.body), /Ask for a new download/)
    const api = await apiGet(holderClient, `/api/v1/me/exports/${exportId}/file`)
    assert.equal(api.statusCode, 409)
    assert.equal(api.json<{ code: string }>().code, 'data_export_expired')

    const { db } = testApp.platform
    assert.ok((await deleteExpiredDataExports(db, testApp.clock.now(), { dryRun: true })) >= 1)
    assert.ok((await deleteExpiredDataExports(db, testApp.clock.now())) >= 1)
    assert.equal((await holderClient.get(`/account/privacy/exports/${exportId}`)).statusCode, 404)
  })

  it('the provider lists the person’s exports without their file, and erasure deletes them', async () => {
    await holderClient.submit('/account/privacy/exports', {})
    const subject = { accountId: holder.account.id, email: holder.email }
    const exported = (await dataExportsPrivacy.export(testApp.platform.db, subject)) as { exports: Record<string, unknown>[] }
    assert.equal(exported.exports.length, 1)
    assert.ok(!('zipEncrypted' in (exported.exports[0] ?? {})))
    await dataExportsPrivacy.erase(testApp.platform.db, subject, () => {})
    assert.equal(await testApp.platform.db.$count(dataExports, and(eq(dataExports.accountId, holder.account.id))), 0)
  })
})
