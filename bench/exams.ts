/**
 * Bulk creation of local exam sessions: a CSV of 1,000 exam sessions across 10 rooms in 2 testing
 * centres (different time zones), previewed (every row checked against the catalog, the stored
 * bookings and the file's own rows) and confirmed (created in one transaction) through the service
 * functions the pages use, on the embedded database. The rooms already hold 200 exam sessions from
 * an earlier upload on the same days (in the evenings), so the double-booking check has bookings to
 * compare against. The clock runs
 * from the start of the preview to the commit of the confirmation.
 */
import { randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { and, eq, like } from 'drizzle-orm'
import { startPlatform } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { examSessions } from '../src/features/exams/schema.ts'
import { confirmExamSessionImport, previewExamSessionImport, saveCentre, saveExam, saveRoom } from '../src/features/exams/service.ts'
import { createAccount } from '../src/features/identity/service.ts'
import { createOrg, type OrgScope } from '../src/features/orgs/service.ts'
import { createLogger } from '../src/platform/log.ts'
import type { Platform } from '../src/platform/platform.ts'
import { utcToZoned } from '../src/platform/time-zones.ts'
import { withDatabase } from './support/database.ts'
import { printFigures } from './support/figures.ts'

const COUNT = 1000
const CENTRES = [
  { code: 'LON', timeZone: 'Europe/London' },
  { code: 'NYC', timeZone: 'America/New_York' },
]
const ROOMS_PER_CENTRE = 5

/** `count` rows: room by room, 90-minute exam sessions at the given times each day, from `firstDay` days ahead (with `proctorEmail` as proctor when given). */
export function csv(count: number, firstDay: number, slots: string[], proctorEmail?: string): Buffer {
  const lines = [`exam,centre,room,start,seats${proctorEmail ? ',proctor' : ''}`]
  for (let i = 0; i < count; i++) {
    const centre = CENTRES[i % CENTRES.length] ?? CENTRES[0]
    const room = Math.floor(i / CENTRES.length) % ROOMS_PER_CENTRE
    const slot = Math.floor(i / (CENTRES.length * ROOMS_PER_CENTRE))
    const day = utcToZoned(new Date(Date.now() + (firstDay + Math.floor(slot / slots.length)) * 86_400_000), centre?.timeZone ?? 'UTC').slice(0, 10)
    lines.push(`SAFE-1,${centre?.code},Room ${room + 1},${day} ${slots[slot % slots.length]},${10 + (i % 10)}${proctorEmail ? `,${proctorEmail}` : ''}`)
  }
  return Buffer.from(lines.join('\n'))
}

/** An org with its owner, exam SAFE-1 and the rooms the CSV rows name. */
export async function setUpCatalog(platform: Platform): Promise<OrgScope> {
  const account = await createAccount(platform, {
    email: `bench.${randomBytes(4).toString('hex')}@example.org`,
    name: 'Bench Person',
    password: `Bq7!${randomBytes(12).toString('base64url')}`,
    isEmailVerified: true,
  })
  const org = await createOrg(platform, account.id, { name: 'Bench Org' })
  const scope: OrgScope = { orgId: org.id, accountId: account.id, role: 'owner' }
  await saveExam(platform, scope, { code: 'SAFE-1', title: 'Site safety', durationMinutes: 90, passMark: 80, maxScore: 100, achievementId: null })
  for (const { code, timeZone } of CENTRES) {
    const centre = await saveCentre(platform, scope, { code, name: `Centre ${code}`, timeZone })
    for (let room = 1; room <= ROOMS_PER_CENTRE; room++) await saveRoom(platform, scope, centre.id, { name: `Room ${room}`, capacity: 20 })
  }
  return scope
}

export default async function exams(): Promise<number> {
  console.log(`${COUNT.toLocaleString('en')} exam sessions from CSV, embedded database; load average ${loadavg()[0]?.toFixed(2)}\n`)
  const seconds = await withDatabase('embedded', async (env) => {
    const platform = await startPlatform(loadConfig(env), { log: createLogger('warn', process.stderr) })
    try {
      const scope = await setUpCatalog(platform)
      const earlier = await previewExamSessionImport(platform, scope, { fileName: 'earlier.csv', content: csv(200, 30, ['16:00', '18:00']) })
      await confirmExamSessionImport(platform, scope, earlier.id)

      const content = csv(COUNT, 30, ['08:00', '10:00', '12:00', '14:00'])
      const started = performance.now()
      const preview = await previewExamSessionImport(platform, scope, { fileName: 'bench.csv', content })
      const previewed = performance.now()
      const { created } = await confirmExamSessionImport(platform, scope, preview.id)
      const finished = performance.now()

      const stored = await platform.db.$count(examSessions, and(eq(examSessions.orgId, scope.orgId), like(examSessions.idempotencyKey, 'csv:%')))
      if (preview.problems.length > 0) throw new Error(`The bench file has problems: ${JSON.stringify(preview.problems.slice(0, 3))}`)
      if (created !== COUNT || stored !== COUNT + 200) throw new Error(`${created} created and ${stored} stored, not ${COUNT} (+200 earlier).`)
      console.log(`preview ${((previewed - started) / 1000).toFixed(2)} s, confirm ${((finished - previewed) / 1000).toFixed(2)} s`)
      return (finished - started) / 1000
    } finally {
      await platform.close()
    }
  })
  console.log(`\nload average at the end: ${loadavg()[0]?.toFixed(2)}\n`)
  printFigures([{ name: 'exams.bulk_create_1000', value: seconds, unit: 's', op: '<=', target: 5 }])
  return 0
}
