import { createHash } from 'node:crypto'
import { parse } from 'csv-parse/sync'
import { stringify } from 'csv-stringify/sync'
import type { FastifyReply } from 'fastify'
import { InvalidError } from './errors.ts'
import { controlCharacterIn } from './text.ts'

export const MAX_CSV_BYTES = 5 * 1024 * 1024
export const MAX_CSV_ROWS = 50_000

/**
 * Reads an uploaded CSV file with a header line into records keyed by lower-cased column names,
 * refusing (with what to fix) files too large, malformed, empty, lacking a required column or holding
 * a control character (see `controlCharacterIn`).
 * Line numbers of records are their index + 2 (the header is line 1).
 */
export function parseCsvUpload(content: Buffer, options: { required: readonly string[]; expected: string; maxRows?: number }): Record<string, string>[] {
  if (content.length > MAX_CSV_BYTES) throw new InvalidError('csv_too_large', `The file is larger than ${MAX_CSV_BYTES / 1024 / 1024} MB; split it.`)
  let records: Record<string, string>[]
  try {
    records = parse(content, {
      columns: (header: string[]) => header.map((name) => name.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      bom: true,
    })
  } catch (error) {
    throw new InvalidError('csv_malformed', `The file is not valid CSV: ${(error as Error).message}`)
  }
  if (records.length === 0) throw new InvalidError('csv_empty', 'The file has no rows under its header line.')
  const maxRows = options.maxRows ?? MAX_CSV_ROWS
  if (records.length > maxRows) throw new InvalidError('csv_too_many_rows', `The file has ${records.length} rows; the limit is ${maxRows}.`)
  const missing = options.required.filter((column) => !(column in (records[0] ?? {})))
  if (missing.length > 0) throw new InvalidError('csv_missing_columns', `The header line lacks: ${missing.join(', ')}. Expected columns: ${options.expected}.`)
  for (const [index, record] of records.entries()) {
    for (const [column, value] of Object.entries(record)) {
      const character = controlCharacterIn(value) ?? controlCharacterIn(column)
      if (character)
        throw new InvalidError('csv_control_character', `Line ${index + 2}, column ${column}, holds a control character (${character}); remove it.`)
    }
  }
  return records
}

/**
 * Writes rows as CSV; every CSV Laurel writes goes through here. A text cell a spreadsheet would run as a
 * formula (one starting with = + - @, a tab or a carriage return, or their full-width forms) gets a leading
 * single quote, OWASP's advice against CSV injection (csv-stringify's `escape_formulas`). Cells given as
 * numbers are written as numbers, negative ones too: a number's text cannot be a formula.
 */
export function toCsv(rows: (string | number)[][]): string {
  return stringify(rows, { escape_formulas: true })
}

/** Answers with `rows` as a CSV file download named `fileName`. */
export function sendCsv(reply: FastifyReply, fileName: string, rows: (string | number)[][]): FastifyReply {
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${fileName}"`).send(toCsv(rows))
}

/** The idempotency key of a CSV row: the same parts (org first) give the same key, so a re-upload creates nothing twice. */
export function csvRowKey(parts: string[]): string {
  return `csv:${createHash('sha256').update(parts.join('\n')).digest('hex')}`
}

/** Is `text` a real calendar date written YYYY-MM-DD? */
export function isValidDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false
  const date = new Date(`${text}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text)
}
