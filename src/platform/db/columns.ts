import { text, timestamp } from 'drizzle-orm/pg-core'
import { newId } from '../ids.ts'

/** A text primary key with a readable prefix, generated in the app (see platform/ids.ts). */
export const idColumn = (prefix: string) =>
  text('id')
    .primaryKey()
    .$defaultFn(() => newId(prefix))

export const createdAt = () => timestamp({ withTimezone: true }).notNull().defaultNow()

export const timestamps = {
  createdAt: createdAt(),
  updatedAt: timestamp({ withTimezone: true })
    .notNull()
    .defaultNow()
    .$onUpdateFn(() => new Date()),
}

/** Escapes LIKE/ILIKE wildcards so user text matches literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&')
}
