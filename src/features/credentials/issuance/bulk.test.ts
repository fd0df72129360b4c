import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { count, eq } from 'drizzle-orm'
import { newOrg, type PersonFixture } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { createAchievement } from '../achievements.ts'
import { bulkRowInput, issueBulkJob } from '../jobs.ts'
import { credentials } from '../schema.ts'
import { confirmBulkIssuance, getBulkIssuance, previewBulkIssuance } from './bulk.ts'
import { issueCredentials } from './issuance.ts'

let testApp: TestApp
let scope: OrgScope
let owner: PersonFixture

before(async () => {
  testApp = await startTestApp({ worker: true })
  const created = await newOrg(testApp)
  owner = created.owner
  scope = { orgId: created.org.id, accountId: owner.account.id, role: 'owner' }
  await createAchievement(testApp.platform, scope, { name: 'First Aid', description: 'd', criteria: 'c', tags: [], alignments: [], validityMonths: 12 })
})
after(() => testApp.close())

/** 10,000 rows; rows 100, 600, 1100, … (20 of them) are bad in one of four ways. */
function bigCsv(): { content: Buffer; badLines: Map<number, RegExp> } {
  const lines = ['email,name,achievement,date']
  const badLines = new Map<number, RegExp>()
  for (let i = 0; i < 10_000; i++) {
    const line = i + 2
    let row = `person${i}@example.org,Person ${i},First Aid,2026-11-01`
    if (i % 500 === 100) {
      const badRows: [string, RegExp][] = [
        [`not-an-email-${i},Person ${i},First Aid,2026-11-01`, /bad email/],
        [`person${i}@example.org,Person ${i},Basket Weaving,2026-11-01`, /unknown achievement/],
        [`person${i}@example.org,Person ${i},First Aid,2026-13-45`, /bad date/],
        [`person${i - 1}@example.org,Person ${i - 1},First Aid,2026-11-01`, /duplicate of line/],
      ]
      const [badRow, reason] = badRows[((i - 100) / 500) % 4] ?? ['', /never/]
      row = badRow
      badLines.set(line, reason)
    }
    lines.push(row)
  }
  return { content: Buffer.from(lines.join('\n')), badLines }
}

const enqueue = (db: typeof testApp.platform.db, id: string) =>
  testApp.platform.jobs.enqueue(db, issueBulkJob, { orgId: scope.orgId, bulkIssuanceId: id }, { orgId: scope.orgId })

async function waitForJob(jobId: string) {
  for (;;) {
    const progress = await testApp.platform.jobs.getProgress(jobId)
    if (progress?.state === 'completed' || progress?.state === 'failed') return progress
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

describe('bulk issuance from CSV', () => {
  it('previews 10,000 rows naming exactly the 20 bad ones, issues 9,980 on confirmation, and nothing when re-uploaded', async () => {
    const { content, badLines } = bigCsv()
    const preview = await previewBulkIssuance(testApp.platform, scope, { fileName: 'graduates.csv', content })
    assert.equal(preview.totalRows, 10_000)
    assert.equal(preview.problems.length, 20)
    for (const problem of preview.problems) assert.match(problem.reason, badLines.get(problem.line) ?? /never/, `line ${problem.line}`)
    assert.equal(preview.validRows, 9_980)
    const [before] = await testApp.platform.db.select({ total: count() }).from(credentials).where(eq(credentials.orgId, scope.orgId))
    assert.equal(before?.total, 0, 'nothing is issued before confirmation')

    const jobId = await confirmBulkIssuance(testApp.platform, scope, preview.id, enqueue)
    assert.equal(await confirmBulkIssuance(testApp.platform, scope, preview.id, enqueue), jobId, 'confirming twice starts one job')
    const progress = await waitForJob(jobId)
    assert.equal(progress.state, 'completed', progress.message ?? '')
    assert.equal(progress.done, 9_980)
    const [issued] = await testApp.platform.db.select({ total: count() }).from(credentials).where(eq(credentials.orgId, scope.orgId))
    assert.equal(issued?.total, 9_980)

    const again = await previewBulkIssuance(testApp.platform, scope, { fileName: 'graduates.csv', content })
    assert.equal(again.validRows, 0)
    assert.equal(again.alreadyIssued, 9_980)
    await assert.rejects(confirmBulkIssuance(testApp.platform, scope, again.id, enqueue), /nothing new to issue/)
  })

  it('counts as issued every credential of the upload, those of an attempt interrupted before included', async () => {
    const content = Buffer.from(['email,name,achievement', ...[1, 2, 3].map((i) => `resumed${i}@example.org,Resumed ${i},First Aid`)].join('\n'))
    const preview = await previewBulkIssuance(testApp.platform, scope, { fileName: 'resumed.csv', content })
    // The first row as an attempt that stopped after its first chunk left it.
    const [first] = (await getBulkIssuance(testApp.platform, scope, preview.id)).rows
    assert.ok(first)
    await issueCredentials(testApp.platform, scope, [bulkRowInput(first)], { bulkIssuanceId: preview.id })

    const progress = await waitForJob(await confirmBulkIssuance(testApp.platform, scope, preview.id, enqueue))
    assert.equal(progress.state, 'completed', progress.message ?? '')
    assert.equal(progress.message, '3 issued')
    assert.equal((await getBulkIssuance(testApp.platform, scope, preview.id)).issued, 3)
    const [stored] = await testApp.platform.db.select({ total: count() }).from(credentials).where(eq(credentials.bulkIssuanceId, preview.id))
    assert.equal(stored?.total, 3)
  })

  it('refuses a file without the needed columns, or that is not CSV, saying what to fix', async () => {
    await assert.rejects(
      previewBulkIssuance(testApp.platform, scope, { fileName: 'x.csv', content: Buffer.from('mail,who\na@b.org,x') }),
      /lacks: email, name, achievement/,
    )
    await assert.rejects(previewBulkIssuance(testApp.platform, scope, { fileName: 'x.csv', content: Buffer.from('%PDF-1.4\n\u0000\u0001binary') }), {
      message: 'This is not a CSV file (it looks like a PDF).',
    })
    await assert.rejects(previewBulkIssuance(testApp.platform, scope, { fileName: 'x.csv', content: Buffer.from('email,name,achievement\n') }), /no rows/)
  })

  it('lists every problem of every row, and a cut-off last line as one bad row', async () => {
    const content = Buffer.from(
      ['email,name,achievement,date', 'ok@example.org,Okay,First Aid,', 'nope,,Basket Weaving,2026-13-45', 'cut@example.org,"Cut Sh'].join('\n'),
    )
    const preview = await previewBulkIssuance(testApp.platform, scope, { fileName: 'mixed.csv', content })
    assert.equal(preview.totalRows, 3)
    assert.equal(preview.validRows, 1)
    assert.deepEqual(preview.problems, [
      { line: 3, reason: 'bad email "nope"; missing name; unknown achievement "Basket Weaving"; bad date "2026-13-45" (use YYYY-MM-DD)' },
      { line: 4, reason: 'a quoted value is not closed by the end of the file (the line may be cut short)' },
    ])
    assert.deepEqual(
      preview.toIssue.map((row) => [row.line, row.email, row.achievementName]),
      [[2, 'ok@example.org', 'First Aid']],
    )
  })

  it('offers a sample file from the upload form, and the preview shows the rows to issue beside the rejected ones', async () => {
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const form = await client.get(`/orgs/${scope.orgId}/credentials/bulk`)
    const sampleHref = /href="([^"]+)"[^>]*>Download a sample file/.exec(form.body)?.[1] ?? ''
    assert.equal(sampleHref, `/orgs/${scope.orgId}/credentials/bulk/sample.csv`)
    const sample = await client.get(sampleHref)
    assert.equal(sample.headers['content-type'], 'text/csv; charset=utf-8')
    assert.equal(sample.body.split('\n')[0], 'email,name,achievement,date')
    const fromSample = await previewBulkIssuance(testApp.platform, scope, { fileName: 'sample.csv', content: Buffer.from(sample.body) })
    assert.equal(fromSample.totalRows, 2)

    const rows = Array.from({ length: 120 }, (_, i) => `shown${i}@example.org,Shown ${i},First Aid`)
    const preview = await client.upload(
      `/orgs/${scope.orgId}/credentials/bulk`,
      'file',
      'people.csv',
      ['email,name,achievement', ...rows, 'bad,Bad,First Aid'].join('\n'),
    )
    assert.equal(preview.statusCode, 200)
    const text = textOf(preview.body)
    assert.match(text, /Rows that will be issued \(the first 100 of 120\) Line Email Name Achievement Date 2 shown0@example\.org Shown 0 First Aid/)
    assert.match(text, /Shown 99 /)
    assert.doesNotMatch(text, /Shown 100 /)
    assert.match(text, /Rows that will not be issued Line Problem 122 bad email &#34;bad&#34;/)
  })
})
