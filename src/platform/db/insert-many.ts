import { getTableColumns, is, SQL, sql } from 'drizzle-orm'
import { toSnakeCase } from 'drizzle-orm/casing'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import type { Db } from './client.ts'

/**
 * Inserts many rows through one JSON parameter read by `json_populate_recordset`, instead of
 * Drizzle's multi-row VALUES with a parameter per field: for a few hundred rows, building that query
 * cost more than the database's work. Columns no row sets get their SQL default; a column some rows
 * leave out gets its default here (`$defaultFn` or a fixed `.default`), or null when it has none.
 * Values travel as JSON, so binary columns are refused. Returns the `returning` columns of each
 * inserted row, in no particular order.
 */
export async function insertMany<T extends PgTable, K extends keyof T['_']['columns'] & string>(
  db: Db,
  table: T,
  rows: T['$inferInsert'][],
  returning: readonly K[],
): Promise<Pick<T['$inferSelect'], K>[]> {
  if (rows.length === 0) return []
  const columns = getTableColumns(table) as Record<string, PgColumn>
  const keys = Object.keys(columns).filter((key) => columns[key]?.defaultFn || rows.some((row) => (row as Record<string, unknown>)[key] !== undefined))
  const records = rows.map((row) => {
    const record: Record<string, unknown> = {}
    for (const key of keys) {
      const column = columns[key] as PgColumn
      const given = (row as Record<string, unknown>)[key]
      const value = given === undefined ? defaultOf(key, column) : given
      const driverValue = value === null || isJson(column) ? value : column.mapToDriverValue(value)
      if (driverValue instanceof Uint8Array) throw new Error(`insertMany: ${key} is binary, which JSON cannot carry; insert it with Drizzle.`)
      record[nameOf(column)] = driverValue
    }
    return record
  })
  const names = keys.map((key) => sql.identifier(nameOf(columns[key] as PgColumn)))
  const returned = returning.map((key) => columns[key] as PgColumn)
  const result = await db.execute(sql`insert into ${table} (${sql.join(names, sql`, `)})
    select ${sql.join(names, sql`, `)} from json_populate_recordset(null::${table}, ${JSON.stringify(records)}::json)
    ${
      returned.length > 0
        ? sql`returning ${sql.join(
            returned.map((column) => sql.identifier(nameOf(column))),
            sql`, `,
          )}`
        : sql``
    }`)
  return result.rows.map((raw) => {
    const row: Record<string, unknown> = {}
    for (const [i, column] of returned.entries()) {
      const value = (raw as Record<string, unknown>)[nameOf(column)]
      row[returning[i] as string] = value === null || value === undefined ? value : column.mapFromDriverValue(value)
    }
    return row as Pick<T['$inferSelect'], K>
  })
}

/** What a row that leaves `column` out stores in it, when other rows set it. */
function defaultOf(key: string, column: PgColumn): unknown {
  if (column.defaultFn) return column.defaultFn()
  if (!column.hasDefault) return null
  if (is(column.default, SQL)) {
    throw new Error(`insertMany: ${key} is set in some rows only, and its default is computed by the database; set it in every row or in none.`)
  }
  return column.default
}

/** The column's name in the database: its key in snake_case unless named explicitly, as `casing: 'snake_case'` (client.ts) makes it. */
function nameOf(column: PgColumn): string {
  return column.keyAsName ? toSnakeCase(column.name) : column.name
}

function isJson(column: PgColumn): boolean {
  return column.columnType === 'PgJsonb' || column.columnType === 'PgJson'
}
