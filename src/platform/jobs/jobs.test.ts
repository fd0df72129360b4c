import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Type } from 'typebox'
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/harness.ts'
import { loadConfig } from '../../config.ts'
import { type Database, openDatabase } from '../db/client.ts'
import { defineJob, Jobs } from './jobs.ts'

let environment: TestEnvironment
let database: Database
before(async () => {
  environment = await createTestEnvironment()
  database = await openDatabase(loadConfig(environment.env).database)
})
after(async () => {
  await database.close()
  await environment.dispose()
})

describe('jobs', () => {
  it('records progress, and a graceful stop lets a running job finish', async () => {
    const seen: number[] = []
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const slowJob = defineJob({
      name: 'test.slow',
      title: 'A slow job',
      payload: Type.Object({ steps: Type.Integer() }),
      async run({ progress }: { progress: (done: number, total: number) => Promise<void> }, { steps }) {
        for (let step = 1; step <= steps; step++) {
          if (step === 2) await released
          await progress(step, steps)
          seen.push(step)
        }
      },
    })
    const jobs = new Jobs<{ label: string }>(database.connection, database.db, (error) => assert.fail(String(error)))
    jobs.register([slowJob as never])
    await jobs.start()
    const jobId = await jobs.enqueue(database.db, slowJob, { steps: 3 }, { accountId: 'acct_test' })
    assert.equal((await jobs.getProgress(jobId))?.state, 'queued')
    await jobs.work({ label: 'services' })
    for (let attempt = 0; attempt < 100 && (await jobs.getProgress(jobId))?.state !== 'running'; attempt++)
      await new Promise((resolve) => setTimeout(resolve, 50))
    const stopping = jobs.stop(10_000)
    release()
    await stopping
    assert.deepEqual(seen, [1, 2, 3])
    const progress = await jobs.getProgress(jobId)
    assert.equal(progress?.state, 'completed')
    assert.equal(progress?.done, 3)
    assert.equal(progress?.total, 3)
  })

  it('refuses a payload that does not match the job', async () => {
    const job = defineJob({ name: 'test.typed', title: 'Typed', payload: Type.Object({ id: Type.String() }), run: async () => {} })
    const jobs = new Jobs<unknown>(database.connection, database.db, () => {})
    await assert.rejects(jobs.enqueue(database.db, job, { id: 42 } as unknown as { id: string }), /Invalid payload/)
  })
})
