/**
 * Bulk creation at the testing portal: 1,000 Laurel exam sessions (made from a CSV with the exams
 * bench's file and catalog) sent to the portal simulator by a create run, through the real job, on
 * the embedded database. The simulator answers after 50 ms and allows 20 requests/s; the org's
 * connection is set to 20 requests/s, so the bound is 1,000 requests / 20 per second = 50 s. The
 * clock runs from the user's confirmation (the run's fresh portal login) to the end of the run
 * (its token logged out and wiped). Also runs the exams bench (1,000 local exam sessions from CSV).
 */
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { eq } from 'drizzle-orm'
import { startPlatform, startWorker } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { connectorFor, savePortalConnection } from '../src/features/exams/portal/connection.ts'
import { getPortalRun, isRunFinished, listPortalRunItems, startPortalRun } from '../src/features/exams/portal/runs.ts'
import { PortalSimulator } from '../src/features/exams/portal/simulator.ts'
import { proctors } from '../src/features/exams/schema.ts'
import { confirmExamSessionImport, previewExamSessionImport, saveProctor } from '../src/features/exams/service.ts'
import { createLogger } from '../src/platform/log.ts'
import exams, { csv, setUpCatalog } from './exams.ts'
import { withDatabase } from './support/database.ts'
import { printFigures } from './support/figures.ts'

const COUNT = 1000
const LATENCY_MS = 50
const RATE = 20
const BOUND_S = COUNT / RATE
const ACCOUNT = { username: 'bench-proctor', password: `bench-${Date.now()}-portal-password`, proctorId: 'prc-bench' }

export default async function portal(): Promise<number> {
  console.log(
    `${COUNT.toLocaleString('en')} exam sessions created at the portal simulator (${LATENCY_MS} ms latency, ${RATE} requests/s), embedded database; load average ${loadavg()[0]?.toFixed(2)}\n`,
  )
  const simulator = await PortalSimulator.start({ accounts: [ACCOUNT], latencyMs: LATENCY_MS, rateLimit: RATE, tokenLifetimeSeconds: 3600 })
  let seconds = 0
  let limited = 0
  try {
    seconds = await withDatabase('embedded', async (env) => {
      const platform = await startPlatform(loadConfig(env), { log: createLogger('warn', process.stderr) })
      const worker = await startWorker(platform)
      try {
        const scope = await setUpCatalog(platform)
        const proctor = await saveProctor(platform, scope, { name: 'Bench Proctor', email: 'proctor@bench.example.org', memberId: null })
        await platform.db.update(proctors).set({ portalProctorId: ACCOUNT.proctorId }).where(eq(proctors.id, proctor.id))
        const preview = await previewExamSessionImport(platform, scope, {
          fileName: 'portal.csv',
          content: csv(COUNT, 2, ['08:00', '10:00', '12:00', '14:00'], proctor.email),
        })
        if (preview.problems.length > 0) throw new Error(`The bench file has problems: ${JSON.stringify(preview.problems.slice(0, 3))}`)
        const { examSessionIds } = await confirmExamSessionImport(platform, scope, preview.id)
        const connection = await savePortalConnection(platform, scope, { baseUrl: simulator.url, requestsPerSecond: RATE })

        // What the connected user's request holds: a connector and their portal login.
        const connector = connectorFor(platform, connection)
        const login = await connector.login(ACCOUNT.username, ACCOUNT.password)
        await new Promise((resolve) => setTimeout(resolve, 1000)) // let the portal's bucket refill after the set-up
        const started = performance.now()
        const run = await startPortalRun(
          platform,
          scope,
          { connection, connector, actor: login.actor, token: login.token, credentials: { username: ACCOUNT.username, password: ACCOUNT.password } },
          { action: 'create', examSessionIds },
        )
        for (;;) {
          const current = await getPortalRun(platform.db, scope, run.id)
          if (isRunFinished(current.state) && current.tokenWipedAt) break
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        const finished = performance.now()
        await connector.logout(login.token)

        const items = await listPortalRunItems(platform.db, scope, run.id)
        const done = items.filter((item) => item.state === 'done').length
        const atPortal = simulator.sessions().length
        if (done !== COUNT || atPortal !== COUNT) throw new Error(`${done} items done and ${atPortal} sessions at the portal, not ${COUNT}.`)
        if (simulator.tokens().live.length > 0) throw new Error('A portal token is still live.')
        limited = simulator.requests().filter((request) => request.status === 429).length
        console.log(`${simulator.requests().length} requests at the portal, ${limited} answered 429`)
        return (finished - started) / 1000
      } finally {
        await worker.stop()
        await platform.close()
      }
    })
  } finally {
    await simulator.close()
  }
  console.log(`\nload average at the end: ${loadavg()[0]?.toFixed(2)}\n`)
  printFigures([
    { name: 'portal.bulk_create_1000', value: seconds, unit: 's', op: '<=', target: BOUND_S * 1.1 },
    { name: 'portal.rate_limited_responses', value: limited, unit: 'count', op: '<=', target: 0 },
  ])
  console.log()
  return exams()
}
