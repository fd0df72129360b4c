import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { linkFromOutbox, newOrg, newPerson, strongPassword, uniqueEmail } from '../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../test/support/harness.ts'
import { listOrgsForAccount } from '../orgs/service.ts'
import { listAccountEmails } from './emails.ts'
import { verifiedEmailsOf } from './service.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

const idOf = async (accountId: string, email: string) =>
  (await listAccountEmails(testApp.platform.db, accountId)).find((entry) => entry.email === email)?.id ?? ''

describe('several email addresses per account', () => {
  it('adds an address through its emailed link, makes it primary for sign-in, and keeps everything else', async () => {
    const { owner, org } = await newOrg(testApp, 'Keeps Memberships')
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const extra = uniqueEmail('Extra').toUpperCase()

    const added = await client.submit('/account/emails', { email: extra })
    assert.equal(added.statusCode, 302)
    assert.match(textOf((await client.get('/account/emails')).body), /waiting for confirmation/)
    assert.deepEqual(await verifiedEmailsOf(testApp.platform, owner.account.id), [owner.email], 'not verified yet')
    const notPrimaryYet = await client.submit(`/account/emails/${await idOf(owner.account.id, extra.toLowerCase())}/primary`, {})
    assert.equal(notPrimaryYet.statusCode, 409)

    const link = await linkFromOutbox(testApp, extra, '/account/emails/verify')
    assert.equal((await client.get(link)).statusCode, 302)
    assert.deepEqual(await verifiedEmailsOf(testApp.platform, owner.account.id), [owner.email, extra.toLowerCase()])
    const reused = await client.get(link)
    assert.equal(reused.statusCode, 422, 'the link works once')

    const primary = await client.submit(`/account/emails/${await idOf(owner.account.id, extra.toLowerCase())}/primary`, {})
    assert.equal(primary.statusCode, 302)
    const other = testApp.client()
    await other.signIn(extra, owner.password)
    const old = await testApp.client().submit('/sign-in', { email: owner.email, password: owner.password, next: '/' })
    assert.equal(old.statusCode, 401, 'only the primary address signs in')
    assert.deepEqual(
      (await listOrgsForAccount(testApp.platform, owner.account.id)).map((membership) => membership.id),
      [org.id],
    )
    assert.deepEqual(new Set(await verifiedEmailsOf(testApp.platform, owner.account.id)), new Set([owner.email, extra.toLowerCase()]), 'the old one stays')

    const removed = await other.submit(`/account/emails/${await idOf(owner.account.id, owner.email)}/remove`, {})
    assert.equal(removed.statusCode, 302)
    assert.deepEqual(await verifiedEmailsOf(testApp.platform, owner.account.id), [extra.toLowerCase()])
  })

  it('never hands one account’s address to another, nor tells who has it', async () => {
    const first = await newPerson(testApp)
    const second = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(second.email, second.password)
    const answer = await client.submit('/account/emails', { email: first.email })
    assert.equal(answer.statusCode, 302, 'the same answer as for a free address')
    const [note] = await testApp.platform.mailer.listOutbox(testApp.platform.db, { to: first.email })
    assert.match(note?.subject ?? '', /Someone tried to add your email to another account/)
    assert.deepEqual(await verifiedEmailsOf(testApp.platform, second.account.id), [second.email])

    // A pending address reserves nothing: whoever confirms first keeps it.
    const contested = uniqueEmail('contested')
    await client.submit('/account/emails', { email: contested })
    const link = await linkFromOutbox(testApp, contested, '/account/emails/verify')
    const signUp = await testApp.client().submit('/sign-up', { name: 'Quick Person', email: contested, password: strongPassword() })
    assert.equal(signUp.statusCode, 200)
    const late = await client.get(link)
    assert.equal(late.statusCode, 409)
    assert.match(textOf(late.body), /now belongs to another account/)

    // A confirmed extra address cannot be signed up with again.
    const taken = uniqueEmail('taken')
    await client.submit('/account/emails', { email: taken })
    await client.get(await linkFromOutbox(testApp, taken, '/account/emails/verify'))
    await testApp.client().submit('/sign-up', { name: 'Copycat', email: taken, password: strongPassword() })
    const [latest] = await testApp.platform.mailer.listOutbox(testApp.platform.db, { to: taken })
    assert.match(latest?.subject ?? '', /Someone tried to sign up with your email/)
  })

  it('removes only the account’s own extra addresses', async () => {
    const person = await newPerson(testApp)
    const stranger = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    const strangerClient = testApp.client()
    await strangerClient.signIn(stranger.email, stranger.password)
    const address = uniqueEmail()
    await client.submit('/account/emails', { email: address })
    const id = await idOf(person.account.id, address)
    assert.equal((await strangerClient.submit(`/account/emails/${id}/remove`, {})).statusCode, 404)
    assert.equal((await client.submit(`/account/emails/${id}/remove`, {})).statusCode, 302)
    assert.equal(await idOf(person.account.id, address), '')
  })
})
