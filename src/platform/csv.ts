import { createHash } from 'node:crypto'
import { parse } from 'csv-parse/sync'
import { stringify } from 'csv-stringify/sync'
import type { FastifyReply } from 'fastify'
import { InvalidError } from './errors.ts'
import { controlCharacterIn } from './text.ts'

export const MAX_CSV_BYTES = 5 * 1024 * 1024
export const MAX_CSV_ROWS = 50_000

/** One column of an import: the parser, the form's help text and the sample file all read it from here. */
export interface CsvColumn {
  name: string
  isOptional?: boolean
  /** What goes in it, when its name does not say (shown after the name in the list of expected columns). */
  note?: string
  /** The column's values in the two rows of the sample file. */
  examples: readonly [string, string]
}

export interface CsvFormat {
  columns: readonly CsvColumn[]
  maxRows?: number
}

/** A line of an uploaded file that cannot be used, with every reason why. */
export interface RowProblem {
  line: number
  reason: string
}

export interface CsvRow {
  /** The file line the record ends on (the header is line 1). */
  line: number
  values: Record<string, string>
}

export interface CsvUpload {
  rows: CsvRow[]
  /** Lines that are not readable CSV or hold a control character; the caller adds its own checks' problems. */
  problems: RowProblem[]
  totalRows: number
}

/** "email, name, date (optional)": the columns as the upload form lists them. */
export function expectedColumns(format: CsvFormat): string {
  return format.columns
    .map((column) => {
      const notes = [column.note, column.isOptional ? 'optional' : undefined].filter(Boolean)
      return notes.length > 0 ? `${column.name} (${notes.join(', ')})` : column.name
    })
    .join(', ')
}

/** The sample file of an import (send it with `sendCsv`): the header line and two example rows, to fill in and upload. */
export function sampleRows(format: CsvFormat): string[][] {
  return [format.columns.map((column) => column.name), ...[0, 1].map((row) => format.columns.map((column) => column.examples[row] ?? ''))]
}

/** The row's problems, all of them in one entry, or undefined when it has none. */
export function problemOf(line: number, reasons: (string | false | undefined)[]): RowProblem | undefined {
  const found = reasons.filter((reason): reason is string => Boolean(reason))
  return found.length > 0 ? { line, reason: found.join('; ') } : undefined
}

/** A value quoted in a problem: cut short, so a runaway cell cannot fill the page. */
export function quoted(value: string | undefined): string {
  const text = value ?? ''
  return `"${text.length > 60 ? `${text.slice(0, 60)}…` : text}"`
}

/**
 * What a file that is not CSV looks like, from its first bytes: people upload spreadsheets, PDFs and
 * images by mistake, and their bytes make no sense as CSV (nor should they be echoed back).
 */
export function sniffNonCsv(content: Buffer): string | undefined {
  const starts = (...bytes: number[]) => bytes.every((byte, i) => content[i] === byte)
  if (starts(0x25, 0x50, 0x44, 0x46)) return 'a PDF'
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0x50, 0x4b, 0x05, 0x06)) return 'a ZIP archive, such as an Excel workbook: save it as CSV first'
  if (starts(0xd0, 0xcf, 0x11, 0xe0)) return 'an Excel or Word file: save it as CSV first'
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'a PNG image'
  if (starts(0xff, 0xd8, 0xff)) return 'a JPEG image'
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'a GIF image'
  if (starts(0x52, 0x49, 0x46, 0x46)) return 'a WebP image or other media file'
  if (starts(0xff, 0xfe) || starts(0xfe, 0xff)) return 'UTF-16 text: save it as "CSV UTF-8"'
  const head = content.subarray(0, 4096)
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase()
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return 'an SVG image'
  if (text.startsWith('<!doctype html') || text.startsWith('<html')) return 'a web page (HTML)'
  if (text.startsWith('<?xml')) return 'an XML document'
  if (head.includes(0)) return 'a binary file'
  return undefined
}

const PARSE_PROBLEMS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted value is not closed by the end of the file (the line may be cut short)',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by more text; double a quote inside a quoted value ("")',
  INVALID_OPENING_QUOTE: 'a quote appears inside an unquoted value; quote the whole value and double the quote ("")',
  CSV_RECORD_INCONSISTENT_COLUMNS: 'the number of values differs from the header line',
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'the number of values differs from the header line',
}

/**
 * Reads an uploaded CSV file with a header line into rows keyed by lower-cased column names. Refuses the
 * whole file (InvalidError, saying what to fix) only when it is no CSV at all, too large, empty, or its
 * header lacks a required column; a line that cannot be read, or holds a control character (see
 * `controlCharacterIn`), is one problem row and the others are still read.
 */
export function parseCsvUpload(content: Buffer, format: CsvFormat): CsvUpload {
  if (content.length > MAX_CSV_BYTES) throw new InvalidError('csv_too_large', `The file is larger than ${MAX_CSV_BYTES / 1024 / 1024} MB; split it.`)
  const lookalike = sniffNonCsv(content)
  if (lookalike) throw new InvalidError('csv_not_csv', `This is not a CSV file (it looks like ${lookalike}).`)
  let header: string[] | undefined
  const problems: RowProblem[] = []
  const records = parse(content, {
    columns: (names: string[]) => {
      header = names.map((name) => name.trim().toLowerCase())
      return header
    },
    skip_empty_lines: true,
    trim: true,
    bom: true,
    info: true,
    skip_records_with_error: true,
    on_skip: (error) => {
      const { code, lines } = error as unknown as { code?: string; lines?: number }
      problems.push({ line: lines ?? 0, reason: PARSE_PROBLEMS[code ?? ''] ?? 'this line is not valid CSV' })
    },
  }) as { record: Record<string, string>; info: { lines: number } }[]
  if (!header) throw new InvalidError('csv_malformed', 'The header line could not be read as CSV: it should name the columns, separated by commas.')
  const controlInHeader = header.map(controlCharacterIn).find(Boolean)
  if (controlInHeader) throw new InvalidError('csv_control_character', `The header line holds a control character (${controlInHeader}); remove it.`)
  const totalRows = records.length + problems.length
  if (totalRows === 0) throw new InvalidError('csv_empty', 'The file has no rows under its header line.')
  const maxRows = format.maxRows ?? MAX_CSV_ROWS
  if (totalRows > maxRows) throw new InvalidError('csv_too_many_rows', `The file has ${totalRows} rows; the limit is ${maxRows}.`)
  const missing = format.columns.filter((column) => !column.isOptional && !header?.includes(column.name)).map((column) => column.name)
  if (missing.length > 0) {
    throw new InvalidError('csv_missing_columns', `The header line lacks: ${missing.join(', ')}. Expected columns: ${expectedColumns(format)}.`)
  }
  const rows: CsvRow[] = []
  for (const { record, info } of records) {
    const controls = Object.entries(record).flatMap(([column, value]) => {
      const character = controlCharacterIn(value)
      return character ? [`column ${column} holds a control character (${character}); remove it`] : []
    })
    if (controls.length > 0) problems.push({ line: info.lines, reason: controls.join('; ') })
    else rows.push({ line: info.lines, values: record })
  }
  problems.sort((a, b) => a.line - b.line)
  return { rows, problems, totalRows }
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
