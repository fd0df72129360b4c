import { rename, stat } from 'node:fs/promises'
import type pg from 'pg'
import type { PoolClient } from 'pg'
import { getConstructionPlans } from 'pg-boss'
import type { Logger } from 'pino'
import { MIGRATIONS_FOLDER, migrateDatabase } from './migrate.ts'

/** Where earlier versions kept the PGlite database inside DATA_DIR. */
export const PGLITE_FOLDER = 'pgdata'

const BATCH_ROWS = 1_000

interface Copied {
  tables: number
  rows: number
}

/**
 * Moves a PGlite data folder of earlier Laurel versions into the (empty) embedded PostgreSQL with a
 * logical copy: both sides are brought to the same migrations, then every row of every table in
 * every schema (Laurel's, Drizzle's migration log, pg-boss's jobs) is copied as it is, with
 * sequences, in one transaction, so a failure leaves the new database empty and the old folder in
 * place. The old folder is then renamed `pgdata.imported`, kept until the operator removes it.
 */
export async function importPgliteFolder(folder: string, target: pg.Pool, log: Logger | undefined): Promise<Copied | undefined> {
  const isPglite = await stat(`${folder}/PG_VERSION`).then(
    () => true,
    () => false,
  )
  if (!isPglite) return undefined
  log?.warn(`Moving the PGlite database in ${folder} into the embedded PostgreSQL…`)
  const [{ PGlite }, { drizzle }, { migrate }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ])
  const source = await PGlite.create(folder)
  let copied: Copied
  try {
    await migrate(drizzle(source), { migrationsFolder: MIGRATIONS_FOLDER })
    await migrateDatabase(target)
    const client = await target.connect()
    try {
      // pg-boss's plans commit by themselves, so its schema is made before the copy's transaction.
      if ((await source.query(`select 1 from pg_namespace where nspname = 'pgboss'`)).rows.length > 0) await ensurePgBossSchema(client)
      await client.query('begin')
      copied = await copyEverything(source, client)
      await client.query('commit')
    } catch (error) {
      await client.query('rollback').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  } finally {
    await source.close()
  }
  await rename(folder, `${folder}.imported`)
  log?.warn(
    `Moved the PGlite database into the embedded PostgreSQL: ${copied.rows} rows in ${copied.tables} tables. The old folder is kept as ${folder}.imported; remove it once you have checked the data.`,
  )
  return copied
}

type Source = InstanceType<typeof import('@electric-sql/pglite').PGlite>

interface Table {
  schema: string
  name: string
}

const TABLES = `
  select n.nspname as schema, c.relname as name
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p') and not c.relispartition
    and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
  order by 1, 2`

const COLUMNS = `
  select a.attname as name
  from pg_attribute a
  where a.attrelid = format('%I.%I', $1::text, $2::text)::regclass and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
  order by a.attnum`

const SEQUENCES = `
  select schemaname as schema, sequencename as name, last_value as "lastValue"
  from pg_sequences where schemaname not in ('pg_catalog', 'information_schema')`

async function copyEverything(source: Source, target: PoolClient): Promise<Copied> {
  // Rows arrive in table order, not in the order foreign keys need; replica mode skips those checks
  // (and triggers) for this transaction, as logical replication does.
  await target.query('set local session_replication_role = replica')
  const sourceTables = (await source.query<Table>(TABLES)).rows
  const targetTables = new Set((await target.query<Table>(TABLES)).rows.map(({ schema, name }) => `${schema}.${name}`))

  let rows = 0
  let tables = 0
  for (const table of sourceTables) {
    if (!targetTables.has(`${table.schema}.${table.name}`)) throw new Error(`The PGlite database has a table the new one lacks: ${table.schema}.${table.name}.`)
    const sourceColumns = (await source.query<{ name: string }>(COLUMNS, [table.schema, table.name])).rows.map((column) => column.name)
    const targetColumns = new Set((await target.query<{ name: string }>(COLUMNS, [table.schema, table.name])).rows.map((column) => column.name))
    const columns = sourceColumns.filter((column) => targetColumns.has(column))
    rows += await copyTable(source, target, table, columns)
    tables += 1
  }

  const targetSequences = new Set((await target.query<Table>(SEQUENCES)).rows.map(({ schema, name }) => `${schema}.${name}`))
  for (const sequence of (await source.query<Table & { lastValue: string | null }>(SEQUENCES)).rows) {
    if (sequence.lastValue === null || !targetSequences.has(`${sequence.schema}.${sequence.name}`)) continue
    await target.query('select setval(format($$%I.%I$$, $1::text, $2::text)::regclass, $3)', [sequence.schema, sequence.name, sequence.lastValue])
  }
  return { tables, rows }
}

/** pg-boss creates its schema when it first starts; the copy needs it before then. */
async function ensurePgBossSchema(target: PoolClient): Promise<void> {
  const { rows } = await target.query(`select 1 from pg_namespace where nspname = 'pgboss'`)
  if (rows.length === 0) await target.query(getConstructionPlans('pgboss'))
}

/** Replaces the target table's rows (migrations may have seeded some) with the source's, a batch at a time. */
async function copyTable(source: Source, target: PoolClient, table: Table, columns: string[]): Promise<number> {
  const quoted = `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`
  const list = columns.map(quoteIdent).join(', ')
  await target.query(`delete from ${quoted}`)
  await source.query('begin')
  try {
    await source.query(`declare laurel_copy no scroll cursor for select row_to_json(t)::text as row from (select ${list} from ${quoted}) t`)
    let count = 0
    for (;;) {
      const batch = (await source.query<{ row: string }>(`fetch ${BATCH_ROWS} from laurel_copy`)).rows
      if (batch.length === 0) break
      await target.query(`insert into ${quoted} (${list}) overriding system value select ${list} from json_populate_recordset(null::${quoted}, $1::json)`, [
        `[${batch.map(({ row }) => row).join(',')}]`,
      ])
      count += batch.length
    }
    return count
  } finally {
    await source.query('rollback')
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
