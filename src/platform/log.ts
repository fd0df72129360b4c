import { DrizzleQueryError } from 'drizzle-orm'
import pg from 'pg'
import pino, { type DestinationStream, type Logger } from 'pino'
import type { LogLevel } from '../config.ts'

/** Paths pino blanks out wherever they appear in a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.secret',
  '*.apiKey',
  '*.code',
]

/** What PostgreSQL names in an error: never a value. */
const DATABASE_ERROR_NAMES = ['severity', 'schema', 'table', 'column', 'dataType', 'constraint'] as const

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: { err: serializeError } }, destination)
}

/**
 * Logs `{ err }` as pino does, except a failed database query: Drizzle writes the query's parameters into
 * its message, and PostgreSQL's message and detail can quote values ("Failing row contains (…)"), so names,
 * emails and signed credentials would reach the log. Such an error is logged by its SQLSTATE, the names
 * PostgreSQL gives (constraint, table, column), the query text (whose values are all parameters) and the
 * stack frames, never by its message.
 */
function serializeError(error: unknown): unknown {
  const chain: Error[] = []
  for (let link = error; link instanceof Error && chain.length < 10; link = link.cause) chain.push(link)
  const failedQuery = chain.find((link) => link instanceof DrizzleQueryError)
  const database = chain.find((link) => link instanceof pg.DatabaseError)
  const [top] = chain
  if (!top || (!failedQuery && !database)) return pino.stdSerializers.err(error as Error)
  return {
    type: top.constructor.name,
    message: `A database query failed${database?.code ? ` (SQLSTATE ${database.code})` : ''}; its parameters and values are not logged.`,
    ...Object.fromEntries(DATABASE_ERROR_NAMES.flatMap((name) => (database?.[name] ? [[name, database[name]]] : []))),
    query: failedQuery?.query,
    stack: top.stack
      ?.split('\n')
      .filter((line) => line.trimStart().startsWith('at '))
      .join('\n'),
  }
}
