/**
 * The Laurel server under test for bench/http.ts and bench/verify.ts, run as a child process so that
 * autocannon (in the parent) does not share its event loop. Configuration comes from the environment
 * the parent passes (DATA_DIR, LAUREL_MASTER_KEY, DATABASE_URL in PostgreSQL mode), plus BENCH_EMAIL
 * and BENCH_PASSWORD for the account to create, and optionally:
 *   - BENCH_CREDENTIALS=<n>: issue n credentials of one achievement before reporting ready;
 *   - BENCH_DISTINCT_CLIENTS=1: make every request look as if it came from another address (see below).
 *
 * It starts exactly like `laurel serve` (src/main.ts): startPlatform, buildApp, the job worker; only
 * the logger is fixed at 'warn' and writes to stderr, because stdout carries the protocol:
 *   - once ready, one JSON line: {"port": …, "orgId": …, "credentialIds": […]}
 *   - then it reads commands from stdin, one a line, and answers each with a JSON line:
 *       "audit off" / "audit on"  switch the per-request audit entries off or on (see below)
 *   - when stdin closes (the parent is done with it, or died), it shuts down.
 */

import { createInterface } from 'node:readline'
import { buildApp, startPlatform } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { createAchievement } from '../../src/features/credentials/achievements.ts'
import { issueCredential } from '../../src/features/credentials/issuance/issuance.ts'
import { createAccount } from '../../src/features/identity/service.ts'
import { createOrg, type OrgScope } from '../../src/features/orgs/service.ts'
import { createLogger } from '../../src/platform/log.ts'
import type { Platform } from '../../src/platform/platform.ts'
import { BENCH_ACHIEVEMENT } from './fixtures.ts'

const reply = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`)

async function main(): Promise<void> {
  const { BENCH_EMAIL: email, BENCH_PASSWORD: password } = process.env
  if (!email || !password) throw new Error('BENCH_EMAIL and BENCH_PASSWORD are required.')
  const platform = await startPlatform(loadConfig(process.env), { log: createLogger('warn', process.stderr) })
  const account = await createAccount(platform, { email, name: 'Bench Person', password, isEmailVerified: true })
  const org = await createOrg(platform, account.id, { name: 'Bench Org' })
  const credentialIds = await issueSome(platform, { orgId: org.id, accountId: account.id }, Number(process.env.BENCH_CREDENTIALS ?? 0))
  const app = await buildApp(platform)
  // The public verification routes are rate-limited per client address (1,200 a minute), which 50
  // connections from 127.0.0.1 exceed in a second. A load test stands for many clients, so here each
  // request gets its own address from a pool of 65,536 (the limiter still runs: only its key changes).
  if (process.env.BENCH_DISTINCT_CLIENTS === '1') {
    let next = 0
    app.server.on('connection', (socket) => {
      Object.defineProperty(socket, 'remoteAddress', {
        get: () => {
          next = (next + 1) % 65_536
          return `10.77.${next >> 8}.${next & 255}`
        },
      })
    })
  }
  await platform.jobs.start()
  await platform.jobs.work(platform)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('The server has no TCP address.')
  reply({ port: address.port, orgId: org.id, credentialIds })

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

async function issueSome(platform: Platform, owner: { orgId: string; accountId: string }, count: number): Promise<string[]> {
  if (count === 0) return []
  const scope: OrgScope = { ...owner, role: 'owner' }
  const achievement = await createAchievement(platform, scope, BENCH_ACHIEVEMENT)
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const { credential } = await issueCredential(platform, scope, {
      achievementId: achievement.id,
      recipientEmail: `holder.${i}@example.org`,
      recipientName: `Holder ${i}`,
    })
    ids.push(credential.id)
  }
  return ids
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
