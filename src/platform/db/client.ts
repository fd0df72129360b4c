import { join } from 'node:path'
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres'
import { drizzle } from 'drizzle-orm/node-postgres'
import type { PgDatabase } from 'drizzle-orm/pg-core'
import pg from 'pg'
import type { Logger } from 'pino'
import type { DatabaseConfig } from '../../config.ts'
import { type EmbeddedEngine, startEmbedded } from './embedded.ts'
import { importPgliteFolder, PGLITE_FOLDER } from './pglite-import.ts'

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

/**
 * Opens the configured database: the PostgreSQL server of DATABASE_URL, or the embedded PostgreSQL
 * run from the data folder (embedded.ts). A data folder still holding the PGlite database of earlier
 * versions is copied into the embedded server first (pglite-import.ts).
 */
export async function openDatabase(config: DatabaseConfig, options: { poolSize?: number; log?: Logger } = {}): Promise<Database> {
  if (config.kind === 'server') {
    const connection: pg.PoolConfig = { connectionString: config.url }
    return fromPool(new pg.Pool({ ...connection, max: options.poolSize ?? 10 }), connection, 'server', async () => {})
  }

  const engine = await (takeEarlyEngine(config) ?? startEmbedded(config.dataDir, { tcpPort: config.tcpPort }))
  const database = fromPool(new pg.Pool({ ...engine.connection, max: options.poolSize ?? 10 }), engine.connection, 'embedded', engine.stop)
  try {
    await importPgliteFolder(join(config.dataDir, PGLITE_FOLDER), database.pool, options.log)
  } catch (error) {
    await database.close()
    throw error
  }
  return database
}

let earlyEngine: { dataDir: string; starting: Promise<EmbeddedEngine> } | undefined

/**
 * Starts the embedded database before the rest of the app has loaded (src/entry.ts, the bundle's
 * entry, calls it first), so the server's start overlaps module loading; openDatabase adopts it.
 */
export function startEmbeddedEarly(config: DatabaseConfig): void {
  if (config.kind !== 'embedded') return
  const starting = startEmbedded(config.dataDir, { tcpPort: config.tcpPort })
  starting.catch(() => {}) // openDatabase reports it
  earlyEngine = { dataDir: config.dataDir, starting }
}

function takeEarlyEngine(config: DatabaseConfig & { kind: 'embedded' }): Promise<EmbeddedEngine> | undefined {
  if (!earlyEngine) return undefined
  if (earlyEngine.dataDir !== config.dataDir) throw new Error(`The embedded database was started for ${earlyEngine.dataDir}, not ${config.dataDir}.`)
  const { starting } = earlyEngine
  earlyEngine = undefined
  return starting
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
