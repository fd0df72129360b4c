import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { gt } from 'drizzle-orm'
import { runCli } from '../../../test/support/cli.ts'
import { startTestApp, type TestApp } from '../../../test/support/harness.ts'
import { ManualClock } from '../clock.ts'
import { CheckpointFile, InvalidCheckpointError } from './checkpoint.ts'
import { AuditLog, deriveAuditKey } from './log.ts'
import { auditEntries } from './schema.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

/** A writer of its own, with its own checkpoint file (named to the CLI by AUDIT_CHECKPOINT_FILE) and a clock that stands still until advanced. */
function newCheckpointingLog() {
  const { db, auditKey, masterKey } = testApp.platform
  const file = new CheckpointFile(join(testApp.config.dataDir, `checkpoint-${randomUUID()}.json`), deriveAuditKey(masterKey, 'checkpoint'))
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'))
  const errors: string[] = []
  const log = new AuditLog(db, auditKey, (error) => errors.push(String(error)), { file, clock })
  return { log, file, clock, errors, env: { ...testApp.environment.env, AUDIT_CHECKPOINT_FILE: file.path } }
}

async function writeEntries(log: AuditLog, count: number): Promise<void> {
  for (let i = 0; i < count; i++) log.record({ action: 'test.entry', data: { i } })
  await log.flush()
}

/** Replaces the audit log with `count` entries from a new checkpointing writer, whose checkpoint then names the newest. */
async function writeCheckpointedLog(count: number) {
  await testApp.platform.db.delete(auditEntries)
  const writer = newCheckpointingLog()
  await writeEntries(writer.log, count)
  await writer.log.checkpoint()
  assert.equal((await writer.file.read())?.index, count)
  return writer
}

describe('audit checkpoints', () => {
  it('`laurel audit verify` says an intact log with a current checkpoint is intact; the file is its owner’s only', async () => {
    const { file, env } = await writeCheckpointedLog(20)
    const result = await runCli(['audit', 'verify'], env)
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /The audit chain is intact: 20 entries checked, including #20 of the checkpoint of 2026-01-01T00:00:00.000Z/)
    assert.equal((await stat(file.path)).mode & 0o777, 0o600)
  })

  it('`laurel audit verify` names the newest entry cut off', async () => {
    const { env } = await writeCheckpointedLog(20)
    await testApp.platform.db.delete(auditEntries).where(gt(auditEntries.chainIndex, 19))
    const result = await runCli(['audit', 'verify'], env)
    assert.equal(result.code, 1)
    assert.match(result.stderr, /The audit log was truncated: the checkpoint of .* names entry #20, but entries #20\.\.#20 were deleted/)
  })

  it('`laurel audit verify` names the newest 10 entries cut off', async () => {
    const { env } = await writeCheckpointedLog(20)
    await testApp.platform.db.delete(auditEntries).where(gt(auditEntries.chainIndex, 10))
    const result = await runCli(['audit', 'verify'], env)
    assert.equal(result.code, 1)
    assert.match(result.stderr, /The audit log was truncated: .* but entries #11\.\.#20 were deleted/)
  })

  it('`laurel audit verify` says when every entry was deleted', async () => {
    const { env } = await writeCheckpointedLog(20)
    await testApp.platform.db.delete(auditEntries)
    const result = await runCli(['audit', 'verify'], env)
    assert.equal(result.code, 1)
    assert.match(result.stderr, /The audit log was truncated: .* names entry #20, but every entry was deleted/)
  })

  it('`laurel audit verify` names a log replaced by a valid new chain', async () => {
    const { env } = await writeCheckpointedLog(20)
    await testApp.platform.db.delete(auditEntries)
    await writeEntries(new AuditLog(testApp.platform.db, testApp.platform.auditKey), 25)
    const result = await runCli(['audit', 'verify'], env)
    assert.equal(result.code, 1)
    assert.match(result.stderr, /The audit log was rewritten: its first entry is not the one the checkpoint of .* recorded/)
  })

  it('keeps the checkpoint where it was when the log is cut back and written on, and `laurel audit verify` names it', async () => {
    const { log, file, clock, errors, env } = await writeCheckpointedLog(20)
    await testApp.platform.db.delete(auditEntries).where(gt(auditEntries.chainIndex, 17))
    clock.advance(60_000)
    await writeEntries(log, 5)
    await log.checkpoint()
    assert.equal((await file.read())?.index, 20)
    assert.equal(errors.length, 2)
    assert.match(errors[0] ?? '', /no longer holds entry #20 as its checkpoint recorded it/)
    const result = await runCli(['audit', 'verify'], env)
    assert.equal(result.code, 1)
    assert.match(result.stderr, /The audit log was rewritten: entry #20 is not the one the checkpoint of .* recorded/)
  })

  it('`laurel audit verify` names a missing checkpoint file, and a writer that wrote it does not write it again', async () => {
    const { log, file, errors, env } = await writeCheckpointedLog(20)
    await rm(file.path)
    await log.checkpoint()
    assert.match(errors.join('\n'), /has disappeared/)
    const result = await runCli(['audit', 'verify'], env)
    assert.equal(result.code, 1)
    assert.match(result.stderr, new RegExp(`The audit log cannot be checked for truncation: there is no checkpoint file at ${file.path}`))
    assert.equal(await file.read(), undefined, 'verifying wrote a checkpoint')
  })

  it('refuses a checkpoint file that was edited', async () => {
    const { file } = await writeCheckpointedLog(20)
    const signed = JSON.parse(await readFile(file.path, 'utf8'))
    await writeFile(file.path, JSON.stringify({ ...signed, index: 10 }))
    await assert.rejects(file.read(), (error: unknown) => error instanceof InvalidCheckpointError && /does not carry Laurel's signature/.test(error.message))
  })

  it('moves the checkpoint on once the interval has passed, and at close', async () => {
    const { log, file, clock } = await writeCheckpointedLog(20)
    await writeEntries(log, 1)
    assert.equal((await file.read())?.index, 20)
    clock.advance(10_000)
    await writeEntries(log, 1)
    assert.deepEqual(await file.read().then((checkpoint) => [checkpoint?.index, checkpoint?.at]), [22, '2026-01-01T00:00:10.000Z'])
    await writeEntries(log, 1)
    await log.close()
    assert.equal((await file.read())?.index, 23)
  })

  it('anchors the first entries of an empty log at the next flush, whatever the interval', async () => {
    await testApp.platform.db.delete(auditEntries)
    const { log, file } = newCheckpointingLog()
    await log.flush()
    await writeEntries(log, 1)
    assert.equal((await file.read())?.index, 1)
  })

  it('covers, at close, entries recorded while an earlier flush was running', async () => {
    const { log, file } = await writeCheckpointedLog(20)
    log.record({ action: 'test.first' })
    const first = log.flush()
    // The flush takes the buffered entry before this test continues (a microtask), not at a moment in time.
    await null
    log.record({ action: 'test.second' })
    await Promise.all([first, log.close()])
    assert.equal((await file.read())?.index, 22)
  })
})
