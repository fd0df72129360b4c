import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { newOrg, newPerson, type PersonFixture } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import { definePrivacyProvider, type PrivacyProvider } from '../../../platform/privacy/registry.ts'
import { addMember, type OrgScope } from '../../orgs/service.ts'
import { periodInWords } from '../categories.ts'
import { DEFAULT_PRIVACY_SETTINGS, savePrivacySettings } from '../settings.ts'
import { latestPolicyVersion, listPolicyVersions, PLATFORM_POLICY, recordPolicyVersion } from './versions.ts'

let testApp: TestApp
let scope: OrgScope
let person: PersonFixture
let owner: PersonFixture

/** A provider as a new feature would add one: a table with a retention rule orgs may tune. */
const NEW_FEATURE = definePrivacyProvider({
  name: 'newsletters-test',
  stores: [
    {
      table: 'newsletter_opens',
      columns: ['email', 'opened_at'],
      purpose: 'Counting who opened a newsletter',
      legalBasis: 'consent',
      retention: 'Deleted 30 days after the newsletter was opened',
      rules: [
        {
          key: 'newsletters.opens',
          action: 'delete',
          what: 'newsletter opening records',
          from: 'the time of opening',
          period: { days: 30 },
          boundsDays: { min: 7, max: 90 },
          apply: async () => 0,
        },
      ],
    },
  ],
  retainedAfterErasure: [],
  export: async () => ({}),
  erase: async () => {},
})

/** Runs `test` with the new feature's provider registered, as if the code had changed. */
async function withNewFeature(test: () => Promise<void>): Promise<void> {
  testApp.platform.privacyProviders.push(NEW_FEATURE)
  try {
    await test()
  } finally {
    testApp.platform.privacyProviders.splice(testApp.platform.privacyProviders.indexOf(NEW_FEATURE), 1)
  }
}

/** The rows of the page's retention table: the data each row is about, and its text. */
function retentionRows(html: string): { table: string; text: string }[] {
  const section = /<table id="retention">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? ''
  return [...section.matchAll(/<tr data-table="([^"]+)">([\s\S]*?)<\/tr>/g)].map((match) => ({ table: match[1] ?? '', text: textOf(match[2] ?? '') }))
}

/** Asserts the page's retention table says exactly what the providers declare: each row a declared table, each rule with its period. */
function assertRetentionMatchesProviders(html: string, providers: PrivacyProvider[], periodOf: (key: string) => string | undefined = () => undefined) {
  const rows = retentionRows(html)
  const declared = providers.flatMap((provider) => provider.stores)
  assert.equal(rows.length, declared.length, 'one retention row per declared kind of data, none other')
  for (const [i, stored] of declared.entries()) {
    const row = rows[i]
    assert.equal(row?.table, stored.table)
    assert.ok(row?.text.includes(stored.retention), `${stored.table}: its declared retention`)
    for (const rule of stored.rules ?? []) {
      assert.ok(row?.text.includes(rule.what), `${stored.table}: rule ${rule.key} names what it removes`)
      assert.ok(row?.text.includes(periodOf(rule.key) ?? periodInWords(rule.period)), `${stored.table}: rule ${rule.key} states its period`)
    }
    if ((stored.rules ?? []).length === 0) assert.ok(row?.text.endsWith('—'), `${stored.table}: no automatic rule is claimed without one`)
  }
}

before(async () => {
  testApp = await startTestApp({ worker: true })
  const created = await newOrg(testApp, 'Northwind Certification')
  scope = { orgId: created.org.id, accountId: created.owner.account.id, role: 'owner' }
  owner = created.owner
  person = await newPerson(testApp, { name: 'Polly Reader' })
})
after(async () => testApp.close())

describe('privacy policy generated from the code', () => {
  it('states each provider’s retention and every rule the retention engine runs, and nothing else', async () => {
    const response = await testApp.client().get('/privacy')
    assert.equal(response.statusCode, 200)
    assertRetentionMatchesProviders(response.body, testApp.platform.privacyProviders)
    assert.ok(response.body.includes(`href="/privacy/orgs/${scope.orgId}"`), 'the install’s policy links to each org’s')
    assert.equal((await testApp.client().get('/privacy/orgs/org_doesnotexist')).statusCode, 404)
    await withNewFeature(async () => {
      const html = (await testApp.client().get('/privacy')).body
      assertRetentionMatchesProviders(html, testApp.platform.privacyProviders)
      assert.match(textOf(html), /newsletter opening records — deleted 30 days after the time of opening/)
    })
  })

  it('shows an org’s controller, contact, sub-processors, transfers and its chosen retention period within the rule’s bounds', async () => {
    await withNewFeature(async () => {
      await savePrivacySettings(testApp.platform, scope, {
        ...DEFAULT_PRIVACY_SETTINGS,
        controllerName: 'Northwind Certification Ltd',
        contactEmail: 'dpo@northwind.example',
        subProcessors: [{ name: 'Mailjet', purpose: 'Sending email', location: 'France' }],
        internationalTransfers: 'None outside the EEA.',
        retentionDays: { 'newsletters.opens': 45 },
      })
      const html = (await testApp.client().get(`/privacy/orgs/${scope.orgId}`)).body
      const text = textOf(html)
      for (const expected of ['Northwind Certification Ltd', 'dpo@northwind.example', 'Mailjet', 'Sending email', 'France', 'None outside the EEA.']) {
        assert.ok(text.includes(expected), expected)
      }
      assertRetentionMatchesProviders(html, testApp.platform.privacyProviders, (key) => (key === 'newsletters.opens' ? '45 days' : undefined))
      for (const link of ['/account/privacy', '/privacy/request', '/account/privacy/access-log']) assert.ok(html.includes(`href="${link}"`), link)
      const records = await testApp.client().get(`/orgs/${scope.orgId}/privacy/records`)
      assert.equal(records.statusCode, 302, 'the record of processing is for signed-in staff')
      const staff = testApp.client()
      await staff.signIn(owner.email, owner.password)
      const record = textOf((await staff.get(`/orgs/${scope.orgId}/privacy/records`)).body)
      for (const provider of testApp.platform.privacyProviders) {
        for (const stored of provider.stores) assert.ok(record.includes(stored.table) && record.includes(stored.purpose), `${provider.name}: ${stored.table}`)
      }
      assert.match(record, /newsletter opening records — deleted 45 days after the time of opening/)
      assert.match(record, /Mailjet/, 'recipients: the sub-processors')
      const member = await newPerson(testApp)
      await addMember(testApp.platform, scope, { accountId: member.account.id, role: 'member' })
      const memberClient = testApp.client()
      await memberClient.signIn(member.email, member.password)
      assert.equal((await memberClient.get(`/orgs/${scope.orgId}/privacy/records`)).statusCode, 403)
    })
  })

  it('keeps a version per change of content, and emails everyone when what is collected or for how long changes', async () => {
    const { platform } = testApp
    await recordPolicyVersion(platform, null)
    const first = await latestPolicyVersion(platform.db, PLATFORM_POLICY)
    assert.ok(first, 'the current policy has a version')
    assert.equal(await recordPolicyVersion(platform, null), undefined, 'the same content is the same version')

    await withNewFeature(async () => {
      const second = await recordPolicyVersion(platform, null)
      assert.ok(second?.isMaterialChange, 'a new kind of data collected is a material change')
    })
    const versions = await listPolicyVersions(platform.db, PLATFORM_POLICY)
    assert.ok(versions.length >= 2)
    const deadline = Date.now() + 20_000
    for (;;) {
      const [notice] = (await platform.mailer.listOutbox(platform.db, { to: person.email })).filter((mail) => mail.subject === 'Our privacy policy has changed')
      if (notice) {
        assert.match(notice.text, /\/privacy\/versions\/pol_/)
        break
      }
      assert.ok(Date.now() < deadline, 'no notice of the policy change arrived')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const list = textOf((await testApp.client().get('/privacy/versions')).body)
    assert.match(list, /changed what is collected, why or for how long/)
    const old = await testApp.client().get(`/privacy/versions/${first.id}`)
    assert.equal(old.statusCode, 200)
    assert.doesNotMatch(textOf(old.body), /newsletter opening records/, 'an old version shows what it said then')
  })
})
