import assert from 'node:assert/strict'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type Database, openDatabase } from './client.ts'

let dataDir: string
let database: Database
let second: Database | undefined

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'laurel-pglite-'))
  database = await openDatabase({ kind: 'embedded', dataDir }, { poolSize: 8 })
  await database.pool.query('create table counters (id serial primary key, label text not null)')
})
after(async () => {
  await second?.close()
  await database.close()
  await rm(dataDir, { recursive: true, force: true })
})

describe('embedded database over a unix socket', () => {
  it('keeps the data folder private (0700)', async () => {
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700)
  })

  it('answers many concurrent parameterised queries and transactions correctly', async () => {
    const failures: string[] = []
    await Promise.all(
      Array.from({ length: 1500 }, async (_, i) => {
        try {
          if (i % 10 === 0) {
            const client = await database.pool.connect()
            try {
              await client.query('begin')
              await client.query('insert into counters (label) values ($1)', [`t${i}`])
              const seen = await client.query('select count(*)::int as n from counters where label = $1', [`t${i}`])
              if (seen.rows[0].n !== 1) failures.push(`transaction ${i} did not see its own row`)
              await client.query(i % 20 === 0 ? 'commit' : 'rollback')
            } finally {
              client.release()
            }
          } else {
            const result = await database.pool.query('select $1::int + 1 as n', [i])
            if (result.rows[0].n !== i + 1) failures.push(`query ${i} got ${result.rows[0].n}`)
          }
        } catch (error) {
          failures.push(`${i}: ${(error as Error).message}`)
        }
      }),
    )
    assert.deepEqual(failures.slice(0, 5), [])
    const committed = await database.pool.query('select count(*)::int as n from counters')
    assert.equal(committed.rows[0].n, 75, 'committed transactions stay, rolled-back ones do not')
  })

  it('returns large results of parameterised statements in full', async () => {
    await database.pool.query('create table documents (id serial primary key, body jsonb not null)')
    const rows = Array.from({ length: 300 }, (_, i) => ({ i, text: 'ü'.repeat(3000) }))
    const placeholders = rows.map((_, i) => `($${i + 1})`).join(', ')
    const result = await database.pool.query(
      `insert into documents (body) values ${placeholders} returning *`,
      rows.map((row) => JSON.stringify(row)),
    )
    assert.equal(result.rows.length, 300)
    assert.equal(result.rows[299].body.text.length, 3000)
  })

  it('rolls back the transaction of a connection that drops mid-way', async () => {
    const client = await database.pool.connect()
    await client.query('begin')
    await client.query("insert into counters (label) values ('orphan')")
    client.release(new Error('drop this connection'))
    const orphans = await database.pool.query("select count(*)::int as n from counters where label = 'orphan'")
    assert.equal(orphans.rows[0].n, 0)
  })

  it('lets a second process share the running database through the socket', async () => {
    second = await openDatabase({ kind: 'embedded', dataDir })
    const result = await second.pool.query('select count(*)::int as n from counters')
    assert.equal(result.rows[0].n, 75)
  })
})
