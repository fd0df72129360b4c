import { sql } from 'drizzle-orm'
import type { Db } from '../../src/platform/db/client.ts'

/** Every row of every table in every schema (pg-boss's job tables included), as `schema.table: <row as text>`. */
export async function dumpDatabase(db: Db): Promise<string[]> {
  const tables = await db.execute<{ schema: string; name: string }>(sql`
    select table_schema as schema, table_name as name from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`)
  const rows: string[] = []
  for (const table of tables.rows) {
    const result = await db.execute<{ row: string }>(sql`select t::text as row from ${sql.identifier(table.schema)}.${sql.identifier(table.name)} t`)
    for (const { row } of result.rows) rows.push(`${table.schema}.${table.name}: ${row}`)
  }
  return rows
}
