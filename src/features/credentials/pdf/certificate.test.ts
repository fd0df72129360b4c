import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { unzipSync } from 'fflate'
import jsQRModule from 'jsqr'
import { PNG } from 'pngjs'
import { newOrg, uniqueEmail } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, type TestClient, textOf } from '../../../../test/support/harness.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { createAchievement } from '../achievements.ts'
import { previewBulkIssuance } from '../issuance/bulk.ts'
import { issueCredential, issueCredentials } from '../issuance/issuance.ts'
import { credentialsPrivacy } from '../privacy.ts'
import { revokeCredential } from '../status.ts'
import { publicUrls } from '../urls.ts'
import { DEFAULT_DESIGN } from './design.ts'
import { certificateContentOf, renderCertificate, renderCertificatePdf } from './render.ts'

const run = promisify(execFile)
// jsqr's types declare an ES default export, but the package is CommonJS whose module.exports is the function.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default
const NAMES = ['Zoë Ångström-Łukasiewicz', '李小龍', 'Ніна Шевченко']

let testApp: TestApp
let scope: OrgScope
let achievementId: string
let owner: { email: string; password: string }
let scratch: string

before(async () => {
  testApp = await startTestApp()
  scratch = await mkdtemp(join(tmpdir(), 'laurel-pdf-'))
  const created = await newOrg(testApp, 'Northwind Certification Board')
  owner = created.owner
  scope = { orgId: created.org.id, accountId: created.owner.account.id, role: 'owner' }
  const achievement = await createAchievement(testApp.platform, scope, {
    name: 'Certified Safety Officer',
    description: 'Knows the site safety rules.',
    criteria: 'Pass the safety exam.',
    tags: [],
    alignments: [],
    validityMonths: 24,
  })
  achievementId = achievement.id
})
after(async () => {
  await testApp.close()
  await rm(scratch, { recursive: true, force: true })
})

let fileCount = 0
async function pdfText(bytes: Uint8Array): Promise<string> {
  return (await run('pdftotext', ['-enc', 'UTF-8', await writeTemp(bytes), '-'])).stdout
}

/** Rasterises the PDF at 150 dpi; poppler must not complain about it (a broken embedded font would). */
async function rasterise(bytes: Uint8Array): Promise<PNG> {
  const file = await writeTemp(bytes)
  const { stderr } = await run('pdftoppm', ['-png', '-r', '150', '-singlefile', file, file])
  assert.equal(stderr, '', 'poppler reads the PDF without errors')
  return PNG.sync.read(await readFile(`${file}.png`))
}

/** Reads the QR code as a verifier's phone camera would. */
async function qrCodeOf(bytes: Uint8Array): Promise<string | undefined> {
  const png = await rasterise(bytes)
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data
}

/** Dark pixels on the page: text that extracts but draws no glyphs (a broken font subset) adds none. */
async function inkOf(bytes: Uint8Array): Promise<number> {
  const { data } = await rasterise(bytes)
  let dark = 0
  for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 255) + (data[i + 1] ?? 255) + (data[i + 2] ?? 255) < 500) dark++
  return dark
}

function solidPng(width: number, height: number): Buffer {
  const png = new PNG({ width, height })
  for (let i = 0; i < png.data.length; i += 4) png.data.set([20, 90, 160, 255], i)
  return PNG.sync.write(png)
}

async function upload(client: TestClient, url: string, field: string, fileName: string, data: Buffer) {
  const page = await client.get(`/orgs/${scope.orgId}/achievements/${achievementId}/design`)
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
  const boundary = 'laurelboundary'
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\nContent-Type: image/png\r\n\r\n`),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
  return client.request({ method: 'POST', url, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload })
}

describe('PDF certificates', () => {
  it('prints names in Latin, CJK and Cyrillic exactly, with a QR code of the public URL, the same bytes each time', async () => {
    for (const name of NAMES) {
      const { credential } = await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: uniqueEmail(), recipientName: name })
      const response = await testApp.client().get(`/credentials/${credential.id}.pdf`)
      assert.equal(response.statusCode, 200)
      assert.equal(response.headers['content-type'], 'application/pdf')
      assert.match(String(response.headers['cache-control']), /public, max-age=\d+/)
      const bytes = response.rawPayload
      assert.ok(bytes.length < 100_000, `${name}: ${bytes.length} bytes; the fonts are not subset`)
      const text = await pdfText(bytes)
      assert.ok(text.split('\n').includes(name), `${name} not found as a line in:\n${text}`)
      assert.match(text, /Certified Safety Officer/)
      assert.match(text, /Northwind Certification Board/)
      assert.equal(await qrCodeOf(bytes), publicUrls(testApp.config).credential(credential.id))

      const content = certificateContentOf(testApp.platform, credential)
      const nameInk = (await inkOf(bytes)) - (await inkOf(await renderCertificate({ ...content, recipientName: '' }, DEFAULT_DESIGN)))
      assert.ok(nameInk > 150 * [...name].length, `${name} is drawn with visible glyphs (${nameInk} dark pixels)`)

      const again = await renderCertificatePdf(testApp.platform, credential)
      assert.ok(Buffer.from(again).equals(bytes), 'rendering twice gives identical bytes')
      const cached = await testApp.app.inject({ url: `/credentials/${credential.id}.pdf`, headers: { 'if-none-match': String(response.headers.etag) } })
      assert.equal(cached.statusCode, 304)
    }
  })

  it('keeps the same bytes after a revocation: the QR code and public page tell the status', async () => {
    const { credential } = await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: uniqueEmail(), recipientName: 'Later Revoked' })
    const before = await renderCertificatePdf(testApp.platform, credential)
    await revokeCredential(testApp.platform, scope, credential.id, 'Exam annulled')
    const response = await testApp.client().get(`/credentials/${credential.id}.pdf?download=1`)
    assert.match(String(response.headers['content-disposition']), /^attachment; filename="cred_/)
    assert.ok(Buffer.from(before).equals(response.rawPayload))
    assert.equal((await testApp.client().get('/credentials/cred_doesnotexist.pdf')).statusCode, 404)
  })

  it('serves no certificate once the holder’s data is erased', async () => {
    const email = uniqueEmail()
    const { credential } = await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: email, recipientName: 'Erase Me' })
    const page = await testApp.client().get(`/credentials/${credential.id}`)
    assert.match(page.body, new RegExp(`href="/credentials/${credential.id}\\.pdf\\?download=1"`))
    await credentialsPrivacy.erase(testApp.platform.db, { accountId: null, email }, () => {})
    const pdf = await testApp.client().get(`/credentials/${credential.id}.pdf`)
    assert.equal(pdf.statusCode, 409)
    assert.match(pdf.body, /erased at its holder’s request/)
    assert.ok(!(await testApp.client().get(`/credentials/${credential.id}`)).body.includes(`/credentials/${credential.id}.pdf`), 'the page offers no PDF')
  })

  it('saves a design, shows it in the PDF, and rejects bad colours and oversized or non-PNG logos with clear errors', async () => {
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const base = `/orgs/${scope.orgId}/achievements/${achievementId}/design`
    const page = await client.get(base)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /<iframe name="design-preview"[^>]*src="[^"]*\/design\/preview\.pdf"/)
    const fields = {
      layout: 'modern',
      paperSize: 'letter',
      primaryColor: '#123456',
      accentColor: '#abcdef',
      signerName: 'Dr. Ада Лавлейс',
      signerTitle: 'Registrar',
    }

    const badColour = await client.submit(base, { ...fields, primaryColor: 'blue' })
    assert.equal(badColour.statusCode, 422)
    assert.match(textOf(badColour.body), /Primary colour: a hex colour like #1f3a5f/)
    const halfField = await client.submit(base, { ...fields, fieldLabel0: 'CE credits' })
    assert.equal(halfField.statusCode, 422)
    assert.match(textOf(halfField.body), /Field 1: give both a label and a value/)

    const preview = await client.submit(`${base}/preview`, { ...fields, fieldLabel0: 'Exam score', fieldValue0: '92 %' })
    assert.equal(preview.statusCode, 200)
    assert.equal(preview.headers['x-frame-options'], 'SAMEORIGIN')
    assert.match(await pdfText(preview.rawPayload), /Exam score: 92 %/)
    const badPreview = await client.submit(`${base}/preview`, { ...fields, accentColor: '#12345' })
    assert.equal(badPreview.statusCode, 422)
    assert.match(textOf(badPreview.body), /Accent colour: a hex colour/)

    const oversized = Buffer.concat([solidPng(200, 200), Buffer.alloc(1024 * 1024)])
    const tooBig = await upload(client, `${base}/logo`, 'logo', 'logo.png', oversized)
    assert.equal(tooBig.statusCode, 422)
    assert.match(textOf(tooBig.body), /Logo: The image is \d+ KB; the limit is 1024 KB/)
    const svg = await upload(client, `${base}/logo`, 'logo', 'logo.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"/>'))
    assert.equal(svg.statusCode, 422)
    assert.match(textOf(svg.body), /Logo: upload a PNG image/)
    assert.equal((await upload(client, `${base}/logo`, 'logo', 'logo.png', solidPng(240, 80))).statusCode, 302)

    const saved = await client.submit(base, { ...fields, fieldLabel0: 'Exam score', fieldValue0: '92 %' })
    assert.equal(saved.statusCode, 302)
    const { credential } = await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: uniqueEmail(), recipientName: 'Designed Holder' })
    const bytes = await renderCertificatePdf(testApp.platform, credential)
    const text = await pdfText(bytes)
    assert.match(text, /Exam score: 92 %/)
    assert.match(text, /Dr\. Ада Лавлейс/)
    const size = (await run('pdfinfo', [await writeTemp(bytes)])).stdout
    assert.match(size, /Page size:\s+792 x 612 pts \(letter\)/)
    assert.equal(await qrCodeOf(bytes), publicUrls(testApp.config).credential(credential.id))
  })

  it('notes on the design page the characters no font has, which certificates leave out', async () => {
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const base = `/orgs/${scope.orgId}/achievements/${achievementId}/design`
    const fields = { layout: 'classic', paperSize: 'a4', primaryColor: '#123456', accentColor: '#abcdef', signerTitle: 'Registrar 🎓' }
    assert.equal((await client.submit(base, { ...fields, signerName: 'Ana \u{10000}' })).statusCode, 302)
    assert.match(textOf((await client.get(base)).body), /No font has these characters, so certificates leave them out: 𐀀 \(U\+10000\)\./)
    assert.equal((await client.submit(base, { ...fields, signerName: 'Ana' })).statusCode, 302)
    assert.doesNotMatch((await client.get(base)).body, /No font has these characters/)
  })

  it('downloads every PDF of a bulk issuance as one ZIP, with safe and unique file names', async () => {
    const recipients = [...NAMES, 'Ніна Шевченко', 'a/b:c']
    const bulk = await previewBulkIssuance(testApp.platform, scope, {
      fileName: 'batch.csv',
      content: Buffer.from(['email,name,achievement', ...recipients.map((name) => `${uniqueEmail()},"${name}",${achievementId}`)].join('\n')),
    })
    const outcomes = await issueCredentials(
      testApp.platform,
      scope,
      recipients.map((name) => ({ achievementId, recipientEmail: uniqueEmail(), recipientName: name })),
      { bulkIssuanceId: bulk.id },
    )
    await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: uniqueEmail(), recipientName: 'Not In The Batch' })
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const bulkPage = await client.get(`/orgs/${scope.orgId}/credentials/bulk/${bulk.id}`)
    assert.match(bulkPage.body, /certificates\.zip\?part=1/)
    const response = await client.get(`/orgs/${scope.orgId}/credentials/bulk/${bulk.id}/certificates.zip`)
    assert.equal(response.statusCode, 200)
    assert.equal(response.headers['content-type'], 'application/zip')
    const files = unzipSync(new Uint8Array(response.rawPayload))
    assert.deepEqual(
      Object.keys(files).sort(),
      ['a_b_c.pdf', 'Zoë Ångström-Łukasiewicz.pdf', '李小龍.pdf', 'Ніна Шевченко (2).pdf', 'Ніна Шевченко.pdf'].sort(),
    )
    for (const [name, bytes] of Object.entries(files)) {
      const text = await pdfText(bytes)
      assert.ok(
        outcomes.some((outcome) => text.includes(outcome.credential.recipientName)),
        `${name} holds a batch credential`,
      )
      assert.doesNotMatch(text, /Not In The Batch/)
    }
  })
})

async function writeTemp(bytes: Uint8Array): Promise<string> {
  const file = join(scratch, `certificate-${fileCount++}.pdf`)
  await writeFile(file, bytes)
  return file
}
