import { countAccounts, createAccount } from './features/identity/service.ts'
import type { Role } from './features/orgs/schema.ts'
import { addMember, createOrg } from './features/orgs/service.ts'
import type { Platform } from './platform/platform.ts'

export const DEMO_ADMIN = { email: 'admin@demo.laurel.test', password: 'laurel-demo-northwind-2026' }

const SAMPLE_PEOPLE: { name: string; email: string; role: Role }[] = [
  { name: 'Amara Okafor', email: 'amara.okafor@demo.laurel.test', role: 'admin' },
  { name: 'Jonas Lindqvist', email: 'jonas.lindqvist@demo.laurel.test', role: 'staff' },
  { name: 'Mei Tanaka', email: 'mei.tanaka@demo.laurel.test', role: 'trainer' },
  { name: 'Zoë Ångström-Łukasiewicz', email: 'zoe.angstrom@demo.laurel.test', role: 'member' },
  { name: 'Ніна Шевченко', email: 'nina.shevchenko@demo.laurel.test', role: 'member' },
  { name: 'Carlos Mendes', email: 'carlos.mendes@demo.laurel.test', role: 'member' },
]

export async function isDatabaseEmpty(platform: Platform): Promise<boolean> {
  return (await countAccounts(platform.db)) === 0
}

/** A demo organisation with an admin and sample people; every sample account uses the demo password. */
export async function createDemoData(platform: Platform): Promise<{ orgName: string }> {
  const admin = await createAccount(platform, { ...DEMO_ADMIN, name: 'Demo Admin', isEmailVerified: true, isPlatformAdmin: true })
  const org = await createOrg(platform, admin.id, { name: 'Northwind Certification Board', timeZone: 'Europe/London' })
  for (const person of SAMPLE_PEOPLE) {
    const account = await createAccount(platform, { name: person.name, email: person.email, password: DEMO_ADMIN.password, isEmailVerified: true })
    await addMember(platform, { orgId: org.id, accountId: admin.id, role: 'owner' }, { accountId: account.id, role: person.role })
  }
  return { orgName: org.name }
}
