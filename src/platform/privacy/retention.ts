import { count, type SQL } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'
import type { Db } from '../db/client.ts'

/** Deletes the rows `where` selects, or in a dry run counts them; returns how many. */
export async function deleteRows(db: Db, table: PgTable, where: SQL | undefined, dryRun: boolean): Promise<number> {
  if (dryRun) return countRows(db, table, where)
  const result = await db.delete(table).where(where)
  return result.rowCount ?? 0
}

export async function countRows(db: Db, table: PgTable, where: SQL | undefined): Promise<number> {
  const [row] = await db.select({ total: count() }).from(table).where(where)
  return row?.total ?? 0
}
