/**
 * How long `npm start` takes to serve the sign-in page: on an empty data folder (migrations, demo
 * organisation, target 60 s) and again on the same data (target under 3 s); and the memory the idle
 * instance holds, Laurel's process and the embedded PostgreSQL's together. Each start is the very
 * command `npm start` runs (`node scripts/start.mjs serve --demo`), timed from spawning the process
 * to the first 200 from GET /sign-in; the second start is measured BENCH_STARTS times (default 3) and
 * the median reported. The first start begins without the bundle in .build/, as on a fresh clone, so
 * it includes building it. The data folder is a fresh temporary one, removed afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { withCleanup } from './support/cleanup.ts'
import { type Figure, printFigures } from './support/figures.ts'

const ROOT = new URL('..', import.meta.url).pathname
const STARTS = Number(process.env.BENCH_STARTS ?? 3)
const PORT = 3900 + Math.floor(Math.random() * 90)

async function isServing(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).status === 200
  } catch {
    return false
  }
}

/** Spawns `npm start`'s command and resolves with the seconds until the sign-in page answers. */
async function timeStart(env: Record<string, string>): Promise<{ seconds: number; child: ChildProcess }> {
  const startedAt = performance.now()
  const child = spawn(process.execPath, ['scripts/start.mjs', 'serve', '--demo'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const deadline = startedAt + 120_000
  while (!(await isServing(`http://127.0.0.1:${PORT}/sign-in`))) {
    if (child.exitCode !== null) throw new Error(`laurel exited with ${child.exitCode} before serving`)
    if (performance.now() > deadline) throw new Error('laurel did not serve the sign-in page within 120 s')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return { seconds: (performance.now() - startedAt) / 1000, child }
}

const IDLE_SECONDS = 10

/**
 * Proportional set size (shared pages split between the processes sharing them, so PostgreSQL's
 * shared buffers count once) of the Laurel process and every process of the embedded server.
 */
async function residentMegabytes(laurelPid: number, dataDir: string): Promise<number> {
  const postmaster = Number((await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0])
  const pids = [laurelPid, postmaster]
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    if (parent === postmaster) pids.push(Number(entry))
  }
  let kilobytes = 0
  for (const pid of pids) {
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '')
    kilobytes += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0)
  }
  console.log(`idle memory after ${IDLE_SECONDS} s: ${(kilobytes / 1024).toFixed(0)} MB proportional set size over ${pids.length} processes`)
  return kilobytes / 1024
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  child.kill('SIGTERM')
  await once(child, 'exit')
}

export default async function start(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'laurel-bench-start-'))
  const env = { DATA_DIR: dataDir, PORT: String(PORT), HOST: '127.0.0.1', LAUREL_MASTER_KEY: randomBytes(32).toString('hex'), LOG_LEVEL: 'warn' }
  return withCleanup(
    () => rm(dataDir, { recursive: true, force: true }),
    async () => {
      await rm(join(ROOT, '.build'), { recursive: true, force: true })
      const first = await timeStart(env)
      await stop(first.child)
      console.log(`first start (empty data folder): ${first.seconds.toFixed(2)} s`)
      const seconds: number[] = []
      let idleMegabytes = Number.NaN
      for (let i = 0; i < STARTS; i++) {
        const again = await timeStart(env)
        if (i === STARTS - 1) {
          await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000))
          idleMegabytes = await residentMegabytes(again.child.pid ?? 0, dataDir)
        }
        await stop(again.child)
        seconds.push(again.seconds)
        console.log(`start on existing data #${i + 1}: ${again.seconds.toFixed(2)} s`)
      }
      const median = [...seconds].sort((a, b) => a - b)[Math.floor(seconds.length / 2)] ?? Number.NaN
      const figures: Figure[] = [
        { name: 'start.first', value: first.seconds, unit: 's', op: '<=', target: 60 },
        { name: 'start.second', value: median, unit: 's', op: '<=', target: 3 },
        // Our own target: the issue measured 773 MB for the PGlite engine's idle npm start.
        { name: 'start.idle_memory', value: idleMegabytes, unit: 'MB', op: '<=', target: 400 },
      ]
      printFigures(figures)
      return 0
    },
  )
}
