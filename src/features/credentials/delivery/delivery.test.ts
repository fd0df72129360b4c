import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { eq } from 'drizzle-orm'
import { authenticate } from 'mailauth'
import { linkFromOutbox, newOrg, newPerson, uniqueEmail } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, type TestClient, textOf } from '../../../../test/support/harness.ts'
import { mailParts, startSmtpServer, type TestSmtpServer } from '../../../../test/support/smtp.ts'
import { until } from '../../../../test/support/until.ts'
import { Mailer } from '../../../platform/mail/mailer.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { createAchievement } from '../achievements.ts'
import { flushCredentialEvents } from '../analytics/analytics.ts'
import { issueCredential } from '../issuance/issuance.ts'
import { verifyDocument } from '../public/verification.ts'
import { credentialEvents } from '../schema.ts'
import { bulkDeliveryCounts, type Delivery, getDelivery } from './delivery.ts'

const DKIM_DOMAIN = 'laurel.test'
const DKIM_SELECTOR = 'mail2026'
let testApp: TestApp
let smtp: TestSmtpServer
let keyDir: string
let dkimTxt: string
let scope: OrgScope
let achievementId: string
let staff: TestClient

before(async () => {
  smtp = await startSmtpServer()
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  keyDir = await mkdtemp(join(tmpdir(), 'laurel-dkim-'))
  const keyFile = join(keyDir, 'dkim.pem')
  await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }))
  dkimTxt = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`
  testApp = await startTestApp({
    worker: true,
    env: {
      SMTP_URL: smtp.url,
      MAIL_FROM: `Laurel <no-reply@${DKIM_DOMAIN}>`,
      DKIM_DOMAIN,
      DKIM_SELECTOR,
      DKIM_PRIVATE_KEY_FILE: keyFile,
    },
  })
  const { org, owner } = await newOrg(testApp, 'Northwind Certification Board')
  scope = { orgId: org.id, accountId: owner.account.id, role: 'owner' }
  achievementId = (
    await createAchievement(testApp.platform, scope, {
      name: 'Certified Safety Officer',
      description: 'Knows the site safety rules.',
      criteria: 'Pass the exam.',
      tags: [],
      alignments: [],
      validityMonths: null,
    })
  ).id
  staff = testApp.client()
  await staff.signIn(owner.email, owner.password)
})
after(async () => {
  await testApp.close()
  await smtp.close()
  await rm(keyDir, { recursive: true, force: true })
})

/** Answers DNS questions from the test's own records: the DKIM key, nothing else, no network. */
async function resolver(name: string, type: string): Promise<string[][]> {
  if (type === 'TXT' && name === `${DKIM_SELECTOR}._domainkey.${DKIM_DOMAIN}`) return [[dkimTxt]]
  throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' })
}

const deliveryIn = (credentialId: string, state: Delivery['state']) =>
  until(`a ${state} delivery of ${credentialId}`, async () => {
    const delivery = await getDelivery(testApp.platform.db, scope, credentialId)
    return delivery?.state === state ? delivery : undefined
  })

async function issueThroughForm(recipientName: string, recipientEmail: string): Promise<string> {
  const response = await staff.submit(`/orgs/${scope.orgId}/credentials`, { achievementId, recipientName, recipientEmail })
  assert.equal(response.statusCode, 302, textOf(response.body).slice(0, 300))
  const credentialId = /\/credentials\/(cred_\w+)$/.exec(String(response.headers.location))?.[1]
  assert.ok(credentialId)
  return credentialId
}

describe('credential delivery by email', () => {
  it('emails the recipient the public link through SMTP, DKIM-signed, with every value escaped in the HTML', async () => {
    const email = uniqueEmail('holder')
    const credentialId = await issueThroughForm('Zoë <b>O’Brien</b>', email)
    const mail = await smtp.waitForMail(email)

    const auth = await authenticate(mail.raw, {
      resolver,
      ip: '127.0.0.1',
      helo: 'laurel.test',
      sender: `no-reply@${DKIM_DOMAIN}`,
      disableArc: true,
      disableBimi: true,
    })
    const signature = auth.dkim.results[0]
    assert.equal(signature?.status.result, 'pass', JSON.stringify(auth.dkim.results))
    assert.equal(signature?.signingDomain, DKIM_DOMAIN)

    const parts = mailParts(mail.raw)
    const text = parts.find((part) => /text\/plain/i.test(part.headers))?.body ?? ''
    const html = parts.find((part) => /text\/html/i.test(part.headers))?.body ?? ''
    const url = `${testApp.config.publicUrl.origin}/credentials/${credentialId}?via=email`
    assert.ok(text.includes(url) && text.includes('Zoë <b>O’Brien</b>'), text)
    assert.ok(html.includes(`<a href="${url}">`), html)
    assert.ok(html.includes('Zoë &#60;b&#62;O’Brien&#60;/b&#62;') && !html.includes('<b>O'), html)

    const delivery = await deliveryIn(credentialId, 'sent')
    assert.equal(delivery.attempts, 1)
    await flushCredentialEvents(testApp.platform)
    const [delivered] = await testApp.platform.db.select().from(credentialEvents).where(eq(credentialEvents.credentialId, credentialId))
    assert.equal(delivered?.kind, 'delivered', 'counted once the mail server accepted it')
    const page = textOf((await staff.get(`/orgs/${scope.orgId}/credentials/${credentialId}`)).body)
    assert.match(page, /Email to the recipient State Sent/)
  })

  it('records a refused email as failed, shows it, and resends it once the server accepts', async () => {
    smtp.isRefusingRecipients = true
    const email = uniqueEmail('refused')
    const { credential } = await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: email, recipientName: 'Refused Person' })
    const failed = await deliveryIn(credential.id, 'failed')
    assert.equal(failed.attempts, 1, 'a permanent refusal is not retried')
    assert.match(failed.lastError ?? '', /550|Mailbox unavailable/)
    const page = textOf((await staff.get(`/orgs/${scope.orgId}/credentials/${credential.id}`)).body)
    assert.match(page, /State Failed/)
    assert.match(page, /Last error .*Mailbox unavailable/)
    const list = (await staff.get(`/orgs/${scope.orgId}/credentials?delivery=failed`)).body
    assert.ok(list.includes(email) && list.includes('data-delivery="failed"'))
    assert.ok(!list.includes('data-delivery="sent"'), 'the filter shows failed emails only')

    smtp.isRefusingRecipients = false
    const resend = await staff.submit(`/orgs/${scope.orgId}/credentials/${credential.id}/resend`, {})
    assert.equal(resend.statusCode, 302)
    await smtp.waitForMail(email)
    const sent = await deliveryIn(credential.id, 'sent')
    assert.equal(sent.resends, 1)
    assert.equal(sent.lastError, null)
  })

  it('issues a CSV upload, and resends the failed emails of that upload in one go', async () => {
    smtp.isRefusingRecipients = true
    const emails = [uniqueEmail('bulk'), uniqueEmail('bulk')]
    const csv = `email,name,achievement\n${emails[0]},Bulk One,Certified Safety Officer\n${emails[1]},Bulk Two,Certified Safety Officer\n`
    const boundary = 'laurelboundary'
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await staff.get(`/orgs/${scope.orgId}/credentials/bulk`)).body)?.[1] ?? ''
    const upload = await staff.request({
      method: 'POST',
      url: `/orgs/${scope.orgId}/credentials/bulk`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="people.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n--${boundary}--\r\n`,
    })
    const bulkId = /bulk\/(bulk_\w+)\/confirm/.exec(upload.body)?.[1]
    assert.ok(bulkId, textOf(upload.body).slice(0, 300))
    await staff.submit(`/orgs/${scope.orgId}/credentials/bulk/${bulkId}/confirm`, {})
    await until('two failed bulk emails', async () => ((await bulkDeliveryCounts(testApp.platform.db, scope, bulkId)).failed === 2 ? true : undefined))
    assert.match(textOf((await staff.get(`/orgs/${scope.orgId}/credentials/bulk/${bulkId}`)).body), /Failed: 2 Resend the 2 failed/)

    smtp.isRefusingRecipients = false
    await staff.submit(`/orgs/${scope.orgId}/credentials/bulk/${bulkId}/resend-failed`, {})
    for (const email of emails) await smtp.waitForMail(email)
    await until('two sent bulk emails', async () => ((await bulkDeliveryCounts(testApp.platform.db, scope, bulkId)).sent === 2 ? true : undefined))
  })

  it('resends every failed email of the org from the filtered list', async () => {
    smtp.isRefusingRecipients = true
    const email = uniqueEmail('orgwide')
    const { credential } = await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: email, recipientName: 'Org Wide' })
    await deliveryIn(credential.id, 'failed')
    const list = await staff.get(`/orgs/${scope.orgId}/credentials?delivery=failed`)
    assert.match(textOf(list.body), /Resend all failed emails/)
    smtp.isRefusingRecipients = false
    const resend = await staff.submit(`/orgs/${scope.orgId}/credentials/resend-failed`, {})
    assert.equal(resend.headers.location, `/orgs/${scope.orgId}/credentials?delivery=failed`)
    await smtp.waitForMail(email)
    await deliveryIn(credential.id, 'sent')
  })

  it('lets an admin edit the template with a preview, and rejects unknown placeholders clearly', async () => {
    const base = `/orgs/${scope.orgId}/credentials/email`
    const bad = await staff.submit(base, { emailSubject: 'Hi {{firstName}}', emailBody: 'Hello {{recipientName}}', action: 'save' })
    assert.equal(bad.statusCode, 422)
    assert.match(
      textOf(bad.body),
      /Unknown placeholder \{\{firstName\}\}\. Use \{\{recipientName\}\}, \{\{achievementName\}\}, \{\{credentialUrl\}\}, \{\{orgName\}\}/,
    )

    const body = 'Dear {{recipientName}}, {{orgName}} congratulates you on {{achievementName}}.\n\nOpen {{credentialUrl}}'
    const preview = await staff.submit(base, { emailSubject: 'Well done, {{recipientName}}', emailBody: body, action: 'preview' })
    assert.equal(preview.statusCode, 200)
    assert.match(
      textOf(preview.body),
      /Preview · Well done, Ada Lovelace Text Dear Ada Lovelace, Northwind Certification Board congratulates you on Certified Safety Officer/,
    )
    const htmlPreview = /class="email-html-preview">([\s\S]*?)<\/section>/.exec(preview.body)?.[1] ?? ''
    assert.match(
      htmlPreview,
      /<p>Dear Ada Lovelace, Northwind Certification Board congratulates you on Certified Safety Officer\.<\/p>\s*<p>Open <a href="http:\/\/laurel\.test\/credentials\/cred_example">/,
    )
    const literalMarkup = await staff.submit(base, { emailSubject: 'Hi', emailBody: 'Hello <i>{{recipientName}}</i>', action: 'preview' })
    assert.ok(/class="email-html-preview">[\s\S]*<p>Hello &#60;i&#62;Ada Lovelace&#60;\/i&#62;<\/p>/.test(literalMarkup.body), 'template text is escaped too')
    assert.equal((await getDeliverySettingsSubject()) === 'Well done, {{recipientName}}', false, 'a preview saves nothing')

    const saved = await staff.submit(base, { emailSubject: 'Well done, {{recipientName}}', emailBody: body, action: 'save' })
    assert.equal(saved.statusCode, 302)
    const email = uniqueEmail('templated')
    await issueThroughForm('<script>alert(1)</script>', email)
    const parts = mailParts((await smtp.waitForMail(email)).raw)
    const html = parts.find((part) => /text\/html/i.test(part.headers))?.body ?? ''
    assert.ok(html.includes('Dear &#60;script&#62;alert(1)&#60;/script&#62;, Northwind Certification Board congratulates you'), html)
    assert.ok(!html.includes('<script>'))

    // With the PDF option on, the message names the certificate, rendered only when it is sent.
    await staff.submit(base, { emailSubject: 'Well done, {{recipientName}}', emailBody: body, isPdfAttached: 'on', action: 'save' })
    const withPdf = uniqueEmail('pdf')
    const credentialId = await issueThroughForm('Pdf Person', withPdf)
    const [queued] = await testApp.platform.mailer.listOutbox(testApp.platform.db, { to: withPdf })
    assert.deepEqual(queued?.attachments, [{ source: 'credentials.certificate', ref: credentialId }])
    const pdf = mailParts((await smtp.waitForMail(withPdf)).raw).find((part) => /application\/pdf/i.test(part.headers))
    assert.ok(pdf?.body.startsWith('%PDF-'), 'the certificate itself is attached')
    await staff.submit(base, { emailSubject: 'Well done, {{recipientName}}', emailBody: body, action: 'save' })
  })

  it('renders attachments when the message is sent, not when it is queued', async () => {
    const rendered: string[] = []
    const mailer = new Mailer(testApp.platform.keyring, {
      from: `Laurel <no-reply@${DKIM_DOMAIN}>`,
      smtpUrl: smtp.url,
      dkim: undefined,
      enqueueDelivery: async () => {},
      onSent: async () => {},
      renderAttachment: async ({ source, ref }) => {
        rendered.push(`${source}:${ref}`)
        return { fileName: 'certificate.pdf', contentType: 'application/pdf', content: new TextEncoder().encode(`%PDF-1.7 for ${ref}`) }
      },
    })
    try {
      const email = uniqueEmail('attached')
      const id = await mailer.send(testApp.platform.db, {
        to: email,
        subject: 'With attachment',
        text: 'See attached.',
        attachments: [{ source: 'test.pdf', ref: 'cred_x' }],
      })
      assert.deepEqual(rendered, [], 'nothing is rendered at queue time')
      await mailer.deliver(testApp.platform.db, [id])
      assert.deepEqual(rendered, ['test.pdf:cred_x'])
      const pdf = mailParts((await smtp.waitForMail(email)).raw).find((part) => /application\/pdf/i.test(part.headers))
      assert.ok(pdf && /filename="?certificate\.pdf/.test(pdf.headers))
      assert.equal(pdf.body, '%PDF-1.7 for cred_x')
    } finally {
      await mailer.close()
    }
  })
})

async function getDeliverySettingsSubject(): Promise<string> {
  const page = await staff.get(`/orgs/${scope.orgId}/credentials/email`)
  return /name="emailSubject" value="([^"]*)"/.exec(page.body)?.[1] ?? ''
}

describe('my credentials', () => {
  it('shows credentials sent to every confirmed address of the account, with the signed JSON for a wallet', async () => {
    const holder = await newPerson(testApp, { name: 'Nina Holder' })
    const second = uniqueEmail('second')
    const { credential } = await issueCredential(testApp.platform, scope, { achievementId, recipientEmail: second, recipientName: 'Nina Holder' })
    const client = testApp.client()
    await client.signIn(holder.email, holder.password)
    assert.ok(!(await client.get('/me/credentials')).body.includes(credential.id), 'not claimed before the address is confirmed')

    const added = await client.submit('/account/emails', { email: second })
    assert.equal(added.statusCode, 302)
    assert.ok(!(await client.get('/me/credentials')).body.includes(credential.id), 'an unconfirmed address claims nothing')
    const confirmed = await client.get(await linkFromOutbox(testApp, second, '/account/emails/verify'))
    assert.equal(confirmed.statusCode, 302)

    const page = (await client.get('/me/credentials')).body
    assert.ok(page.includes(`data-credential="${credential.id}"`))
    assert.match(textOf(page), /Certified Safety Officer .* Northwind Certification Board .* Valid Download JSON \(for a wallet\)/)
    const download = await client.get(`/credentials/${credential.id}.json`)
    assert.match(String(download.headers['content-disposition']), /attachment/)
    const document = JSON.parse(download.body)
    assert.deepEqual(document, credential.document)
    assert.equal((await verifyDocument(testApp.platform, document)).verdict, 'valid')
  })
})
