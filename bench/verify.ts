/**
 * Verification throughput, embedded mode:
 *   - over HTTP with autocannon (50 connections, as bench/http.ts): the public credential page
 *     GET /credentials/:id, the JSON verification API POST /api/v1/verify {"id": …} (every check:
 *     proof, issuer, status list, validity, schema, suspension; as in production, the credential's
 *     read and its proof checks are remembered for a few seconds, see docs/architecture.md "Memo"),
 *     and the status-list document GET /status-lists/:id;
 *   - in process, on one core: full verifications per second with Laurel's verifyCredential()
 *     (src/features/credentials/signing/verify.ts) and a document loader that resolves the status list
 *     from memory, against the reference @digitalbazaar/vc verifyCredential() with the eddsa-rdfc-2022
 *     suite and the Bitstring status check, on the same credential in the same run.
 *
 * The server runs in a child process (bench/support/laurel-server.ts) that issues a few credentials
 * first. The public API routes are rate-limited per client address; the child gives every request
 * its own address (BENCH_DISTINCT_CLIENTS), standing for many clients.
 *
 * Environment: BENCH_CONNECTIONS, BENCH_DURATION (see support/load.ts), BENCH_REFERENCE_SECONDS
 * (seconds per in-process loop, default 5), BENCH_CPU_PROF=<folder> (see support/child.ts).
 */
import { randomBytes } from 'node:crypto'
import { availableParallelism, loadavg } from 'node:os'
import { createDocumentLoader } from '../src/features/credentials/signing/contexts.ts'
import { verifyCredential } from '../src/features/credentials/signing/verify.ts'
import { withChildServer } from './support/child.ts'
import { withDatabase } from './support/database.ts'
import { type Figure, printFigures } from './support/figures.ts'
import { CONNECTIONS, DURATION_SECONDS, type Load, measure } from './support/load.ts'
import { loopRate, referenceVerifyRate } from './support/reference.ts'

const LAUREL_SERVER = new URL('./support/laurel-server.ts', import.meta.url)
const CREDENTIALS = 3
const LOOP_SECONDS = Number(process.env.BENCH_REFERENCE_SECONDS ?? 5)

interface HttpLoads {
  page: Load
  api: Load
  statusList: Load
  credential: Record<string, unknown>
  statusListDocument: Record<string, unknown>
  statusListUrl: string
}

async function fetchJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`${url} answered ${response.status}.`)
  return (await response.json()) as Record<string, unknown>
}

async function httpLoads(): Promise<HttpLoads> {
  const env = { BENCH_EMAIL: `bench.${randomBytes(4).toString('hex')}@example.org`, BENCH_PASSWORD: `Bq7!${randomBytes(12).toString('base64url')}` }
  return withDatabase('embedded', (database) =>
    withChildServer<{ port: number; credentialIds: string[] }, HttpLoads>(
      LAUREL_SERVER,
      { ...database, ...env, BENCH_CREDENTIALS: String(CREDENTIALS), BENCH_DISTINCT_CLIENTS: '1' },
      async (server) => {
        const origin = `http://127.0.0.1:${server.ready.port}`
        const [id] = server.ready.credentialIds
        if (!id) throw new Error('The server issued no credential.')
        // The documents the in-process loops verify, and the status list's path on this server.
        const credential = await fetchJson(`${origin}/credentials/${id}.json`)
        const statusListUrl = String((credential.credentialStatus as { statusListCredential?: unknown }).statusListCredential)
        const statusListPath = new URL(statusListUrl).pathname
        const statusList = await fetchJson(`${origin}${statusListPath}`)
        const answer = await fetch(`${origin}/api/v1/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id }) })
        const verdict = ((await answer.json()) as { verdict?: string }).verdict
        if (verdict !== 'valid') throw new Error(`POST /api/v1/verify says ${verdict}, not valid.`)

        const page = await measure('embedded: GET /credentials/:id (public page)', `${origin}/credentials/${id}`)
        const api = await measure('embedded: POST /api/v1/verify {id}', `${origin}/api/v1/verify`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id }),
        })
        const statusListLoad = await measure('embedded: GET /status-lists/:id', `${origin}${statusListPath}`)
        return { page, api, statusList: statusListLoad, credential, statusListDocument: statusList, statusListUrl }
      },
    ),
  )
}

/** Full verifications per second with Laurel's verifyCredential, one after the other (one core). */
async function laurelVerifyRate(credential: object, statusListUrl: string, statusList: object, seconds: number): Promise<number> {
  // A copy each time, as a database read would give.
  const documentLoader = createDocumentLoader({ resolveDocument: async (url) => (url === statusListUrl ? structuredClone(statusList) : undefined) })
  const verifyOnce = () => verifyCredential(credential, { documentLoader })
  const report = await verifyOnce()
  if (report.verdict !== 'valid') throw new Error(`Laurel does not verify the credential: ${JSON.stringify(report.checks)}`)
  return loopRate(seconds, async () => {
    await verifyOnce()
  })
}

/*
 * Targets from the issue: the JSON status API at least 2,000 req/s with p99 under 50 ms (embedded),
 * applied both to POST /api/v1/verify (a credential's status with every check) and to the status-list
 * document (the status itself); full verification at least 2× the reference per core. The public
 * page targets are ours and informational: those of the signed-in page in bench/http.ts.
 */
export default async function verify(): Promise<number> {
  console.log(
    `autocannon: ${CONNECTIONS} connections, ${DURATION_SECONDS} s measured; load average ${loadavg()[0]?.toFixed(2)} on ${availableParallelism()} cores\n`,
  )
  const loads = await httpLoads()
  const laurel = await laurelVerifyRate(loads.credential, loads.statusListUrl, loads.statusListDocument, LOOP_SECONDS)
  console.log(`${'Laurel verifyCredential(), one core'.padEnd(44)} ${Math.round(laurel).toLocaleString('en').padStart(7)} verif/s`)
  const referenceLoader = createDocumentLoader({
    resolveDocument: async (url) => (url === loads.statusListUrl ? structuredClone(loads.statusListDocument) : undefined),
  })
  const reference = await referenceVerifyRate(loads.credential, referenceLoader, LOOP_SECONDS)
  console.log(`${'reference: @digitalbazaar/vc, one core'.padEnd(44)} ${Math.round(reference).toLocaleString('en').padStart(7)} verif/s`)
  console.log(`\nload average at the end: ${loadavg()[0]?.toFixed(2)}\n`)

  const figures: Figure[] = [
    { name: 'verify.page.embedded.rps', value: loads.page.rps, unit: 'req/s', op: '>=', target: 1500 },
    { name: 'verify.page.embedded.p99', value: loads.page.p99, unit: 'ms', op: '<=', target: 100 },
    { name: 'verify.api.embedded.rps', value: loads.api.rps, unit: 'req/s', op: '>=', target: 2000 },
    { name: 'verify.api.embedded.p99', value: loads.api.p99, unit: 'ms', op: '<=', target: 50 },
    { name: 'verify.status_list.embedded.rps', value: loads.statusList.rps, unit: 'req/s', op: '>=', target: 2000 },
    { name: 'verify.status_list.embedded.p99', value: loads.statusList.p99, unit: 'ms', op: '<=', target: 50 },
    { name: 'verify.reference.rate', value: reference, unit: 'verif/s', op: '>=', target: 50 },
    { name: 'verify.full.rate', value: laurel, unit: 'verif/s', op: '>=', target: Math.round(2 * reference) },
    { name: 'verify.full.ratio_per_core', value: laurel / reference, unit: 'ratio', op: '>=', target: 2 },
  ]
  printFigures(figures)
  return 0
}
