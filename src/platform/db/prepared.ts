import type { Db } from './client.ts'

const built = new WeakMap<Db, Map<unknown, unknown>>()

/**
 * The query `build` makes, built once per database handle and reused with new placeholder values:
 * for a hot read, Drizzle's building (a select over three tables checks every column) cost more
 * than running it. `build` ends in `.prepare('')`: an unnamed statement, parsed by the server on each
 * run, which costs far less than the building it saves.
 */
export function prepared<Query>(db: Db, build: (db: Db) => Query): Query {
  let queries = built.get(db)
  if (!queries) {
    queries = new Map()
    built.set(db, queries)
  }
  let query = queries.get(build) as Query | undefined
  if (!query) {
    query = build(db)
    queries.set(build, query)
  }
  return query
}
