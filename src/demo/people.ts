import { countAccounts, createAccount } from '../features/identity/service.ts'
import type { Role } from '../features/orgs/schema.ts'
import { addMember, createOrg, inviteMember, type OrgScope } from '../features/orgs/service.ts'
import type { Platform } from '../platform/platform.ts'
import type { DemoRandom } from './timeline.ts'

/** Every demo address is in the reserved .test domain: the mailer keeps such mail in the outbox. */
export const DEMO_DOMAIN = 'demo.laurel.test'
export const DEMO_PASSWORD = 'laurel-demo-northwind-2026'
export const DEMO_ADMIN = { email: `admin@${DEMO_DOMAIN}`, password: DEMO_PASSWORD }
/** A person who holds credentials and belongs to no organisation: what a recipient sees. */
export const DEMO_RECIPIENT = { name: 'Priya Raman', email: `priya.raman@${DEMO_DOMAIN}`, password: DEMO_PASSWORD }

const SAMPLE_PEOPLE: { name: string; email: string; role: Role }[] = [
  { name: 'Amara Okafor', email: `amara.okafor@${DEMO_DOMAIN}`, role: 'admin' },
  { name: 'Jonas Lindqvist', email: `jonas.lindqvist@${DEMO_DOMAIN}`, role: 'staff' },
  { name: 'Mei Tanaka', email: `mei.tanaka@${DEMO_DOMAIN}`, role: 'trainer' },
  { name: 'Zoë Ångström-Łukasiewicz', email: `zoe.angstrom@${DEMO_DOMAIN}`, role: 'member' },
  { name: 'Ніна Шевченко', email: `nina.shevchenko@${DEMO_DOMAIN}`, role: 'member' },
  { name: 'Carlos Mendes', email: `carlos.mendes@${DEMO_DOMAIN}`, role: 'member' },
]

export async function isDatabaseEmpty(platform: Platform): Promise<boolean> {
  return (await countAccounts(platform.db)) === 0
}

/** The demo organisation, its admin (the owner), sample members and an invitation, and the recipient's account. */
export async function createPeople(platform: Platform): Promise<{ orgName: string; owner: OrgScope }> {
  const admin = await createAccount(platform, { ...DEMO_ADMIN, name: 'Demo Admin', isEmailVerified: true, isPlatformAdmin: true })
  const org = await createOrg(platform, admin.id, { name: 'Northwind Certification Board', timeZone: 'Europe/London' })
  const owner: OrgScope = { orgId: org.id, accountId: admin.id, role: 'owner' }
  for (const person of SAMPLE_PEOPLE) {
    const account = await createAccount(platform, { name: person.name, email: person.email, password: DEMO_PASSWORD, isEmailVerified: true })
    await addMember(platform, owner, { accountId: account.id, role: person.role })
  }
  await inviteMember(platform, owner, { email: `lena.fischer@${DEMO_DOMAIN}`, role: 'staff' })
  await createAccount(platform, { ...DEMO_RECIPIENT, isEmailVerified: true })
  return { orgName: org.name, owner }
}

// biome-ignore format: lists of names read better packed
const FIRST_NAMES = [
  'Aisha', 'Ben', 'Chiara', 'Dmitri', 'Elif', 'Farid', 'Grace', 'Hiroshi', 'Ines', 'Jamal', 'Kerstin', 'Liam', 'María', 'Nkechi',
  'Oskar', 'Paulo', 'Quinn', 'Rania', 'Sven', 'Thandiwe', 'Uma', 'Viktor', 'Wen', 'Yusuf', 'Zofia', 'Adebayo', 'Brigitte', 'Chen',
  'Dalia', 'Emre', 'Freya', 'Gustavo', 'Hana', 'Ivan', 'Joanna', 'Kofi', 'Léa', 'Mateo', 'Noor', 'Olga',
]
// biome-ignore format: lists of names read better packed
const LAST_NAMES = [
  'Abara', 'Berg', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'García', 'Haddad', 'Ivanova', 'Jensen', 'Kowalski', 'Lopes', 'Moreau',
  'Nakamura', "O'Neill", 'Petrov', 'Quispe', 'Rossi', 'Santos', 'Tan', 'Umarov', 'Varga', 'Wagner', 'Xu', 'Yilmaz', 'Zimmermann',
]
/** A few names in other scripts, as an international board would have; the PDF and pages must show them. */
const NAMES_IN_OTHER_SCRIPTS = ['فاطمة الزهراء', '王小明', 'Αλέξανδρος Παπαδόπουλος', 'דניאל כהן', 'Андрей Смирнов']

export interface DemoPerson {
  name: string
  email: string
}

/** `count` different people with demo addresses, drawn from the name lists. */
export function demoPeople(random: DemoRandom, count: number): DemoPerson[] {
  const people = new Map<string, DemoPerson>()
  NAMES_IN_OTHER_SCRIPTS.forEach((name, i) => {
    people.set(`intl${i}`, { name, email: `member${i + 1}.intl@${DEMO_DOMAIN}` })
  })
  while (people.size < count) {
    const first = random.pick(FIRST_NAMES)
    const last = random.pick(LAST_NAMES)
    const local = `${first}.${last}`
      .normalize('NFD')
      .replace(/[^A-Za-z.]/g, '')
      .toLowerCase()
    people.set(local, { name: `${first} ${last}`, email: `${local}@${DEMO_DOMAIN}` })
  }
  return [...people.values()].slice(0, count)
}
