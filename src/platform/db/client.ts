import { once } from 'node:events'
import { chmod, mkdir, rm, stat } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres'
import { drizzle } from 'drizzle-orm/node-postgres'
import type { PgDatabase } from 'drizzle-orm/pg-core'
import pg from 'pg'
import type { DatabaseConfig } from '../../config.ts'
import { isBundled } from '../paths.ts'
import type { EngineOptions } from './pglite-worker.ts'

/** A database or a transaction: services take either, so callers can pass their transaction down. */
export type Db = PgDatabase<NodePgQueryResultHKT>

export interface Database {
  db: Db
  pool: pg.Pool
  /** How another client (pg-boss) reaches the same database. */
  connection: pg.PoolConfig
  kind: DatabaseConfig['kind']
  close(): Promise<void>
}

const SOCKET_PORT = 5432

// `npm start` runs a bundle, which carries the engine thread as a bundle of its own beside it.
const ENGINE_URL = isBundled ? new URL('./pglite-worker.mjs', import.meta.url) : new URL('./pglite-worker.ts', import.meta.url)

/**
 * Opens the configured database. Embedded mode runs PGlite in a thread of this process and serves it
 * on a unix socket in the data folder, so everything (Drizzle, pg-boss, the CLI) speaks the PostgreSQL
 * protocol through node-postgres. When another Laurel process already serves that folder, this one
 * connects to its socket instead of opening the files twice.
 */
export async function openDatabase(config: DatabaseConfig, options: { poolSize?: number } = {}): Promise<Database> {
  if (config.kind === 'server') {
    const connection: pg.PoolConfig = { connectionString: config.url }
    return fromPool(new pg.Pool({ ...connection, max: options.poolSize ?? 10 }), connection, 'server', async () => {})
  }

  const connection: pg.PoolConfig = { host: config.dataDir, port: SOCKET_PORT, user: 'postgres', database: 'postgres' }
  const stopServing = await (takeEarlyEngine(config.dataDir) ?? serveEmbedded(config.dataDir))
  return fromPool(new pg.Pool({ ...connection, max: options.poolSize ?? 4 }), connection, 'embedded', async () => {
    await stopServing?.()
  })
}

type StopServing = () => Promise<void>

/** Serves the folder's database on its socket and returns how to stop; undefined when another process already serves it. */
async function serveEmbedded(dataDir: string): Promise<StopServing | undefined> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  await chmod(dataDir, 0o700)
  const socketPath = join(dataDir, `.s.PGSQL.${SOCKET_PORT}`)
  if (await isServing(socketPath)) return undefined
  await rm(socketPath, { force: true })
  const stopEngine = await startEngine({ dataDir: join(dataDir, 'pgdata'), socketPath })
  return async () => {
    await stopEngine()
    await rm(socketPath, { force: true })
  }
}

let earlyEngine: { dataDir: string; serving: Promise<StopServing | undefined> } | undefined

/**
 * Starts serving the embedded database before the rest of the app has loaded (src/entry.ts, the
 * bundle's entry, calls it first), so PGlite's start overlaps module loading; openDatabase adopts it.
 */
export function serveEmbeddedEarly(config: DatabaseConfig): void {
  if (config.kind !== 'embedded') return
  const serving = serveEmbedded(config.dataDir)
  serving.catch(() => {}) // openDatabase reports it
  earlyEngine = { dataDir: config.dataDir, serving }
}

function takeEarlyEngine(dataDir: string): Promise<StopServing | undefined> | undefined {
  if (!earlyEngine) return undefined
  // Two engines on one folder would corrupt it: the early one must be the one asked for.
  if (earlyEngine.dataDir !== dataDir) throw new Error(`The embedded database was started for ${earlyEngine.dataDir}, not ${dataDir}.`)
  const { serving } = earlyEngine
  earlyEngine = undefined
  return serving
}

/** Starts PGlite on its own thread (pglite-worker.ts) and returns how to stop it. */
async function startEngine(options: EngineOptions): Promise<() => Promise<void>> {
  const worker = new Worker(ENGINE_URL, { workerData: options })
  const exited = once(worker, 'exit').then(([code]) => {
    throw new Error(`The embedded database stopped while starting (exit code ${code}).`)
  })
  await Promise.race([once(worker, 'message'), exited])
  exited.catch(() => {})
  return async () => {
    worker.postMessage('close')
    await once(worker, 'message')
    await worker.terminate()
  }
}

function fromPool(pool: pg.Pool, connection: pg.PoolConfig, kind: DatabaseConfig['kind'], closeEngine: () => Promise<void>): Database {
  // An idle client that errors (the server restarted) must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  return {
    db: drizzle(pool, { casing: 'snake_case' }),
    pool,
    connection,
    kind,
    async close() {
      await pool.end()
      await closeEngine()
    },
  }
}

async function isServing(socketPath: string): Promise<boolean> {
  const exists = await stat(socketPath).then(
    () => true,
    () => false,
  )
  if (!exists) return false
  return new Promise((resolve) => {
    const socket = connect(socketPath)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
