/** `npm run portal-sim -- [options]`: runs the portal simulator so an operator can try a connector end to end. */
import { parseArgs } from 'node:util'
import { type PortalAccount, PortalSimulator } from './simulator.ts'

const USAGE = `npm run portal-sim -- [options]

  --port <n>              port to listen on (default 4010)
  --host <address>        address to listen on (default 127.0.0.1)
  --latency <ms>          delay before every answer (default 0)
  --failure-rate <0..1>   fraction of requests answered 503 (default 0)
  --rate-limit <n>        requests per second before 429 with Retry-After (default 20; 0 for none)
  --token-lifetime <s>    seconds a token from POST /login lasts (default 3600)`

const DEMO_PORTAL_ACCOUNTS: PortalAccount[] = [
  { username: 'centre-admin', password: 'demo-portal-password', proctorId: null },
  { username: 'proctor-ada', password: 'demo-proctor-password', proctorId: 'proctor-ada' },
]

function numberOption(values: Record<string, string | boolean | undefined>, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = values[name]
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new Error(`--${name} must be a number from 0 to ${max} (got "${String(raw)}").\n\n${USAGE}`)
  }
  return value
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      latency: { type: 'string' },
      'failure-rate': { type: 'string' },
      'rate-limit': { type: 'string' },
      'token-lifetime': { type: 'string' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return
  }
  const rateLimit = numberOption(values, 'rate-limit', 20)
  const simulator = await PortalSimulator.start({
    accounts: DEMO_PORTAL_ACCOUNTS,
    port: numberOption(values, 'port', 4010, 65535),
    host: values.host ?? '127.0.0.1',
    latencyMs: numberOption(values, 'latency', 0),
    failureRate: numberOption(values, 'failure-rate', 0, 1),
    rateLimit: rateLimit === 0 ? null : rateLimit,
    tokenLifetimeSeconds: numberOption(values, 'token-lifetime', 3600),
  })
  console.log(`Portal simulator listening at ${simulator.url}`)
  for (const account of DEMO_PORTAL_ACCOUNTS) {
    console.log(`  account: ${account.username} / ${account.password}${account.proctorId ? ` (proctor ${account.proctorId})` : ''}`)
  }
  const stop = () => {
    simulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
