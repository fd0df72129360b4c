/**
 * HTTP throughput and latency, measured with autocannon on loopback:
 *   - a bare Fastify hello-world, the baseline;
 *   - GET /health through the full production plugin stack;
 *   - a signed-in page, GET /orgs/:orgId (session check, org scope, render, audit entry), with and
 *     without the per-request audit entry;
 * each in the embedded (PGlite) and the PostgreSQL mode. The PostgreSQL server is the one named by
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); a fresh database is created on
 * it and dropped afterwards. Embedded mode uses a fresh temporary data folder.
 *
 * Servers run in child processes (bench/support/*-server.ts) so autocannon, here, has its own
 * event loop: on the 2-core target machine that is one core for the server and one for the load
 * (and, in PostgreSQL mode, the database server shares them too).
 *
 * Environment: BENCH_CONNECTIONS (default 50), BENCH_DURATION (seconds measured per figure, default 8),
 * BENCH_CPU_PROF=<folder> (V8 CPU profiles of the servers, see support/child.ts).
 */
import { randomBytes } from 'node:crypto'
import { withChildServer } from './support/child.ts'
import { type Mode, withDatabase } from './support/database.ts'
import { type Figure, printFigures } from './support/figures.ts'
import { CONNECTIONS, DURATION_SECONDS, type Load, measure, WARMUP_SECONDS } from './support/load.ts'

// The signed-in page is measured with audit on and off, alternating, in PAGE_ROUNDS rounds, and each
// keeps its fastest round. The audit cost is the difference of two throughputs: without this, a few
// busy seconds elsewhere on the 2 cores (someone running the tests) show up as audit cost, or as a
// negative one.
const PAGE_ROUNDS = 2

const LAUREL_SERVER = new URL('./support/laurel-server.ts', import.meta.url)
const BASELINE_SERVER = new URL('./support/baseline-server.ts', import.meta.url)

function fastest(loads: Load[]): Load {
  return loads.reduce((best, load) => (load.rps > best.rps ? load : best))
}

/** Cookies as a browser keeps them, from Set-Cookie response headers. */
class CookieJar {
  private readonly cookies = new Map<string, string>()

  store(response: Response): void {
    for (const setCookie of response.headers.getSetCookie()) {
      const pair = setCookie.split(';', 1)[0] ?? ''
      const equals = pair.indexOf('=')
      const [name, value] = [pair.slice(0, equals), pair.slice(equals + 1)]
      if (value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }

  has(name: string): boolean {
    return this.cookies.has(name)
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }
}

/**
 * Signs in through the sign-in form as a browser would and visits `pagePath` once, so the cookie
 * header includes everything a browser would send on its next visit (session, CSRF secret, current
 * org). Returns that cookie header.
 */
async function signIn(origin: string, email: string, password: string, pagePath: string): Promise<string> {
  const jar = new CookieJar()
  const form = await fetch(`${origin}/sign-in`)
  jar.store(form)
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1]
  if (!csrf) throw new Error('The sign-in page has no CSRF field.')
  const submitted = await fetch(`${origin}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password, next: '/', _csrf: csrf }),
  })
  jar.store(submitted)
  if (submitted.status !== 302 || !jar.has('laurel_session')) throw new Error(`Sign-in failed with status ${submitted.status}.`)
  const page = await fetch(`${origin}${pagePath}`, { headers: { cookie: jar.header() }, redirect: 'manual' })
  jar.store(page)
  if (page.status !== 200 || !(await page.text()).includes('Bench Org')) throw new Error(`${pagePath} answered ${page.status}, not the org page.`)
  return jar.header()
}

/** Every figure for one database mode, from one Laurel server. */
async function benchMode(mode: Mode, baselineRps: number): Promise<Figure[]> {
  const email = `bench.${randomBytes(4).toString('hex')}@example.org`
  const password = `Bq7!${randomBytes(12).toString('base64url')}`
  return withDatabase(mode, (env) =>
    withChildServer<{ port: number; orgId: string }, Figure[]>(LAUREL_SERVER, { ...env, BENCH_EMAIL: email, BENCH_PASSWORD: password }, async (server) => {
      const origin = `http://127.0.0.1:${server.ready.port}`
      const pagePath = `/orgs/${server.ready.orgId}`
      const health = await measure(`${mode}: GET /health`, `${origin}/health`)
      const cookie = await signIn(origin, email, password, pagePath)
      const loads: Record<'on' | 'off', Load[]> = { on: [], off: [] }
      for (let round = 0; round < PAGE_ROUNDS; round++) {
        for (const audit of ['on', 'off'] as const) {
          await server.command(`audit ${audit}`)
          loads[audit].push(await measure(`${mode}: GET /orgs/:orgId signed in, audit ${audit}`, `${origin}${pagePath}`, { headers: { cookie } }))
        }
      }
      const [page, pageWithoutAudit] = [fastest(loads.on), fastest(loads.off)]
      const auditCost = ((pageWithoutAudit.rps - page.rps) / pageWithoutAudit.rps) * 100
      return [
        { name: `http.health.${mode}.rps`, value: health.rps, unit: 'req/s', op: '>=', target: Math.round(baselineRps / 2) },
        { name: `http.health.${mode}.ratio`, value: health.rps / baselineRps, unit: 'ratio', op: '>=', target: 0.5 },
        { name: `http.page.${mode}.rps`, value: page.rps, unit: 'req/s', op: '>=', target: mode === 'embedded' ? 1500 : 3000 },
        { name: `http.page.${mode}.p50`, value: page.p50, unit: 'ms', op: '<=', target: 50 },
        { name: `http.page.${mode}.p99`, value: page.p99, unit: 'ms', op: '<=', target: 100 },
        { name: `http.page.${mode}.rps_without_audit`, value: pageWithoutAudit.rps, unit: 'req/s', op: '>=', target: mode === 'embedded' ? 1500 : 3000 },
        { name: `http.audit_cost.${mode}`, value: auditCost, unit: '%', op: '<=', target: 20 },
      ]
    }),
  )
}

/*
 * Targets from the issue: health ratio >= 0.5 of the baseline, signed-in page >= 1,500 req/s embedded
 * and >= 3,000 req/s on PostgreSQL, audit cost <= 20 %. The other targets are ours and informational:
 *   - baseline >= 20,000 req/s: a sanity floor (the issue's machine did about 77,000, the 2-core CI VM
 *     about 30,000); far below it the machine is busy and every figure is suspect;
 *   - health req/s >= half the baseline: the ratio target, in req/s;
 *   - page p50 <= 50 ms and p99 <= 100 ms: with 50 connections the median latency is about
 *     50 / throughput (33 ms at 1,500 req/s), so these follow from the throughput targets;
 *   - page without audit: the same target as with it.
 */
export default async function http(): Promise<number> {
  console.log(`autocannon: ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up, ${DURATION_SECONDS} s measured, no pipelining\n`)
  const baseline = await withChildServer<{ port: number }, Load>(BASELINE_SERVER, {}, (server) =>
    measure('baseline: bare Fastify GET /', `http://127.0.0.1:${server.ready.port}/`),
  )
  const figures: Figure[] = [{ name: 'http.baseline.rps', value: baseline.rps, unit: 'req/s', op: '>=', target: 20_000 }]
  for (const mode of ['embedded', 'pg'] as const) figures.push(...(await benchMode(mode, baseline.rps)))
  console.log()
  printFigures(figures)
  return 0
}
