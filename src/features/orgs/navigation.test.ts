import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { newOrg, newPerson } from '../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../test/support/harness.ts'
import { buildOrgSideNav } from '../../platform/ui/navigation.ts'
import type { Role } from './schema.ts'
import { addMember } from './service.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

/** The side navigation of a page as the HTML shows it: group names, link names, and the current link. */
function sideNavOf(html: string) {
  const nav = html.match(/<nav aria-label="Organisation">([\s\S]*?)<\/nav>/)?.[1] ?? ''
  return {
    groups: [...nav.matchAll(/<summary>([^<]*)<\/summary>/g)].map((match) => match[1]),
    openGroups: [...nav.matchAll(/<details open>\s*<summary>([^<]*)<\/summary>/g)].map((match) => match[1]),
    links: [...nav.matchAll(/<a [^>]*>([^<]*)<\/a>/g)].map((match) => textOf(match[1] ?? '')),
    current: [...nav.matchAll(/<a [^>]*aria-current="page"[^>]*>([^<]*)<\/a>/g)].map((match) => textOf(match[1] ?? '')),
  }
}

describe('the org side navigation', () => {
  it('shows each role the pages it may open, grouped, with the current page marked and its group open', async () => {
    const { org, owner } = await newOrg(testApp, 'Navigation Org')
    const scope = { orgId: org.id, accountId: owner.account.id, role: 'owner' as const }
    const pageAs = async (role: Role, path: string) => {
      const person = role === 'owner' ? owner : await newPerson(testApp)
      if (role !== 'owner') await addMember(testApp.platform, scope, { accountId: person.account.id, role })
      const client = testApp.client()
      await client.signIn(person.email, person.password)
      const response = await client.get(`/orgs/${org.id}${path}`)
      assert.equal(response.statusCode, 200, `${role} opens ${path}`)
      return sideNavOf(response.body)
    }

    const owners = await pageAs('owner', '/exam-sessions/calendar')
    assert.deepEqual(owners.groups, ['Credentials', 'Exams', 'People', 'Organisation'])
    assert.deepEqual(owners.links, [
      'Dashboard',
      'Achievements',
      'Credentials',
      'Analytics',
      'Exam sessions',
      'Calendar',
      'Exams',
      'Testing centres',
      'Proctors',
      'Testing portal',
      'Members',
      'Settings',
      'Audit log',
      'Privacy requests',
    ])
    assert.deepEqual(owners.current, ['Calendar'], 'the longest matching path is current, not its parent "Exam sessions"')
    assert.deepEqual(owners.openGroups, ['Exams'])

    const staff = await pageAs('staff', '')
    assert.deepEqual(staff.current, ['Dashboard'])
    assert.deepEqual(staff.openGroups, staff.groups, 'on the dashboard every group is open')
    assert.ok(!staff.links.includes('Settings') && !staff.links.includes('Audit log'), 'staff see no admin pages')
    assert.ok(staff.links.includes('Privacy requests'))

    const member = await pageAs('member', '')
    assert.deepEqual(member.links, ['Dashboard'])
    assert.deepEqual(member.groups, [], 'a group with nothing the member may open is not drawn')
  })

  it('marks a detail page under a nav item as that item', () => {
    const nav = buildOrgSideNav('/orgs/o1', '/orgs/o1/credentials/cred_1', [
      { group: 'credentials', path: '/credentials', label: 'Credentials', minimumRole: 'staff' },
      { group: 'credentials', path: '/credentials-archive', label: 'Archive', minimumRole: 'staff' },
      { group: 'exams', path: '/exams', label: 'Exams', minimumRole: 'staff' },
    ])
    assert.equal(nav.dashboard.isCurrent, false)
    assert.equal(buildOrgSideNav('/orgs/o1', '/orgs/o1/', []).dashboard.isCurrent, true, 'a trailing slash is the same page')
    assert.deepEqual(
      nav.sections.map((section) => [section.label, section.isOpen, section.links.map((link) => link.isCurrent)]),
      [
        ['Credentials', true, [true, false]],
        ['Exams', false, [false]],
      ],
    )
  })
})
