/**
 * The Laurel server under test for bench/http.ts, run as a child process so that autocannon (in the
 * parent) does not share its event loop. Configuration comes from the environment the parent passes
 * (DATA_DIR, LAUREL_MASTER_KEY, DATABASE_URL in PostgreSQL mode), plus BENCH_EMAIL and BENCH_PASSWORD
 * for the account to create.
 *
 * It starts exactly like `laurel serve` (src/main.ts): startPlatform, buildApp, the job worker; only
 * the logger is fixed at 'warn' and writes to stderr, because stdout carries the protocol:
 *   - once ready, one JSON line: {"port": …, "orgId": …}
 *   - then it reads commands from stdin, one a line, and answers each with a JSON line:
 *       "audit off" / "audit on"  switch the per-request audit entries off or on (see below)
 *   - when stdin closes (the parent is done with it, or died), it shuts down.
 */
import { createInterface } from 'node:readline'
import { buildApp, startPlatform } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { createAccount } from '../../src/features/identity/service.ts'
import { createOrg } from '../../src/features/orgs/service.ts'
import { createLogger } from '../../src/platform/log.ts'

const reply = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`)

async function main(): Promise<void> {
  const { BENCH_EMAIL: email, BENCH_PASSWORD: password } = process.env
  if (!email || !password) throw new Error('BENCH_EMAIL and BENCH_PASSWORD are required.')
  const platform = await startPlatform(loadConfig(process.env), { log: createLogger('warn', process.stderr) })
  const account = await createAccount(platform, { email, name: 'Bench Person', password, isEmailVerified: true })
  const org = await createOrg(platform, account.id, { name: 'Bench Org' })
  const app = await buildApp(platform)
  await platform.jobs.start()
  await platform.jobs.work(platform)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('The server has no TCP address.')
  reply({ port: address.port, orgId: org.id })

  // Per-request audit entries are written by the onResponse hook in src/platform/http/server.tsx
  // through `platform.audit.record(…)`, looked up on every response. Swapping that one method on this
  // instance for a no-op turns off exactly those entries (and sign-in attempts, which also use
  // `record`), leaving the rest of the app as it is. Entries already buffered are flushed first, so
  // their writes do not land in the next measurement.
  const record = platform.audit.record
  for await (const command of createInterface({ input: process.stdin })) {
    if (command === 'audit off' || command === 'audit on') {
      await platform.audit.flush()
      platform.audit.record = command === 'audit on' ? record : () => {}
      reply({ ok: true })
    } else {
      reply({ error: `unknown command "${command}"` })
    }
  }

  await app.close()
  await platform.close()
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
