/** HTTP load with autocannon on loopback, shared by the HTTP benchmarks (bench/http.ts, bench/verify.ts). */
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'

// 50 connections: enough concurrent requests that neither the server nor the database pool (10
// connections on PostgreSQL, 4 embedded) ever waits for the client. On the 2-core VM, 10, 50 and 100
// connections gave the same throughput within noise (10 about 10 % less for the baseline); beyond
// that, more connections only add queueing latency. BENCH_CONNECTIONS overrides it for experiments.
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
export const WARMUP_SECONDS = 2
export const DURATION_SECONDS = Number(process.env.BENCH_DURATION ?? 8)
const SETTLE_MS = 1500

export interface Load {
  rps: number
  p50: number
  p99: number
}

export interface LoadRequest {
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
}

/** Warms the server up, then measures requests/s and latency on `url`; any failed request is an error. */
export async function measure(label: string, url: string, request: LoadRequest = {}): Promise<Load> {
  const options = { url, ...request, connections: CONNECTIONS, pipelining: 1 }
  await autocannon({ ...options, duration: WARMUP_SECONDS })
  const result = await autocannon({ ...options, duration: DURATION_SECONDS })
  // autocannon drops its connections at the end with requests still running in the server: let them
  // finish, so they neither count against the next measurement nor meet a closing database pool.
  await sleep(SETTLE_MS)
  if (result.errors + result.timeouts + result.non2xx > 0) {
    const codes = Object.entries(result.statusCodeStats).map(([code, { count }]) => `${count}× ${code}`)
    throw new Error(`${label}: ${result.errors} errors, ${result.timeouts} timeouts, responses ${codes.join(', ')}`)
  }
  const load = { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 }
  console.log(`${label.padEnd(44)} ${Math.round(load.rps).toLocaleString('en').padStart(7)} req/s   p50 ${load.p50} ms   p99 ${load.p99} ms`)
  return load
}
