import { type AnyColumn, asc, desc, type SQL, sql } from 'drizzle-orm'
import { Type } from 'typebox'

export type SortDirection = 'asc' | 'desc'

export interface Sort<Key extends string> {
  key: Key
  direction: SortDirection
}

/** What a list may be ordered by: each column under the public name its `?sort=` uses. */
export interface SortableColumns<Key extends string> {
  columns: Record<Key, AnyColumn | SQL>
  /** The order of a list opened without `?sort=`, or with a name not in `columns`. */
  defaultSort: Sort<Key>
  /** Orders rows that tie on the sorted column (ascending), before the tie-breaker: e.g. sessions of one exam by start. */
  thenBy?: AnyColumn
  /** A unique column ordered last, so that rows never move between pages when sort values tie. */
  tieBreaker: AnyColumn
}

/** The `sort` and `dir` query fields of a sortable list; an unknown `sort` is ignored by `resolveSort`, never sent to SQL. */
export const SortQueryFields = {
  sort: Type.Optional(Type.String({ maxLength: 40, pattern: '^[a-zA-Z]*$', description: 'The column to order by; a name the list does not offer is ignored' })),
  dir: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc'), Type.Literal('')], { description: 'asc (default) or desc' })),
}

export interface SortQuery {
  sort?: string
  dir?: SortDirection | ''
}

/** The requested order when its column is one of the list's, otherwise the list's default order. */
export function resolveSort<Key extends string>(sortable: SortableColumns<Key>, query: SortQuery): Sort<Key> {
  const { sort, dir } = query
  if (!sort || !Object.hasOwn(sortable.columns, sort)) return sortable.defaultSort
  return { key: sort as Key, direction: dir || 'asc' }
}

/** Drizzle `orderBy` terms for a resolved sort: empty values (NULL) last either way, then the tie-breaker. */
export function orderByOf<Key extends string>(sortable: SortableColumns<Key>, sort: Sort<Key>): SQL[] {
  const column = sortable.columns[sort.key]
  const ordered = sort.direction === 'asc' ? sql`${column} asc nulls last` : sql`${column} desc nulls last`
  const thenBy = sortable.thenBy ? [asc(sortable.thenBy)] : []
  return [ordered, ...thenBy, sort.direction === 'asc' ? asc(sortable.tieBreaker) : desc(sortable.tieBreaker)]
}
