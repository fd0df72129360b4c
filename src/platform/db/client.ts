import { chmod, mkdir, rm, stat } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres'
import { drizzle } from 'drizzle-orm/node-postgres'
import type { PgDatabase } from 'drizzle-orm/pg-core'
import pg from 'pg'
import type { DatabaseConfig } from '../../config.ts'
import { PgliteSocketServer } from './pglite-server.ts'

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

/**
 * Opens the configured database. Embedded mode runs PGlite inside this process and serves it on a
 * unix socket in the data folder, so everything (Drizzle, pg-boss, the CLI) speaks the PostgreSQL
 * protocol through node-postgres. When another Laurel process already serves that folder, this one
 * connects to its socket instead of opening the files twice.
 */
export async function openDatabase(config: DatabaseConfig, options: { poolSize?: number } = {}): Promise<Database> {
  if (config.kind === 'server') {
    const connection: pg.PoolConfig = { connectionString: config.url }
    return fromPool(new pg.Pool({ ...connection, max: options.poolSize ?? 10 }), connection, 'server', async () => {})
  }

  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  await chmod(config.dataDir, 0o700)
  const socketPath = join(config.dataDir, `.s.PGSQL.${SOCKET_PORT}`)
  const connection: pg.PoolConfig = { host: config.dataDir, port: SOCKET_PORT, user: 'postgres', database: 'postgres' }
  const pool = () => new pg.Pool({ ...connection, max: options.poolSize ?? 4 })

  if (await isServing(socketPath)) return fromPool(pool(), connection, 'embedded', async () => {})

  await rm(socketPath, { force: true })
  const pglite = await PGlite.create(join(config.dataDir, 'pgdata'))
  const server = new PgliteSocketServer(pglite)
  await server.listen(socketPath)
  await chmod(socketPath, 0o600)
  return fromPool(pool(), connection, 'embedded', async () => {
    await server.close()
    await pglite.close()
    await rm(socketPath, { force: true })
  })
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
