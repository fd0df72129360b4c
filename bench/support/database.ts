/**
 * Fresh Laurel databases for the benchmarks: a temporary data folder (embedded mode), plus, in
 * PostgreSQL mode, a new database on the server named by DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres), dropped afterwards.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { withCleanup } from './cleanup.ts'

export const POSTGRES_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export type Mode = 'embedded' | 'pg'
export type Env = Record<string, string>

/** Runs `body` with the environment of a fresh Laurel database in `mode`, removed afterwards. */
export async function withDatabase<T>(mode: Mode, body: (env: Env) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), 'laurel-bench-'))
  // Blank the variables that would change the setup if the caller's shell has them set.
  const env: Env = { DATA_DIR: dataDir, LAUREL_MASTER_KEY: randomBytes(32).toString('hex'), DATABASE_URL: '', REDIS_URL: '', SMTP_URL: '', PUBLIC_URL: '' }
  return withCleanup(
    () => rm(dataDir, { recursive: true, force: true }),
    async () => {
      if (mode === 'embedded') return body(env)
      const name = `laurel_bench_${randomBytes(4).toString('hex')}`
      await postgresAdmin(`create database ${name}`)
      const url = new URL(POSTGRES_URL)
      url.pathname = `/${name}`
      return withCleanup(
        () => postgresAdmin(`drop database if exists ${name} with (force)`),
        () => body({ ...env, DATABASE_URL: url.toString() }),
      )
    },
  )
}

async function postgresAdmin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}
