import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Redis } from 'ioredis'
import { loadConfig } from '../config.ts'
import { ManualClock } from './clock.ts'
import { MEMO_TTL_MS, Memo } from './memo.ts'

describe('memo', () => {
  it('remembers a value until its time limit, and forgets every value derived from a forgotten ID', async () => {
    const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'))
    const memo = new Memo(clock)
    const sessions = memo.table<string>('sessions')
    const orgs = memo.table<string[]>('orgs')
    const read = sessions.beginRead()
    sessions.set('token-a', 'session of ann', ['acc_ann'], read)
    sessions.set('token-b', 'session of bob', ['acc_bob'], read)
    orgs.set('acc_ann', ['org_1', 'org_2'], ['acc_ann', 'org_1', 'org_2'], read)
    orgs.set('acc_bob', ['org_2'], ['acc_bob', 'org_2'], read)

    await memo.forget('org_1')
    assert.equal(orgs.get('acc_ann'), undefined)
    assert.deepEqual(orgs.get('acc_bob'), ['org_2'])
    await memo.forget('acc_bob')
    assert.equal(sessions.get('token-b'), undefined)
    assert.equal(orgs.get('acc_bob'), undefined)

    clock.advance(MEMO_TTL_MS - 1)
    assert.equal(sessions.get('token-a'), 'session of ann')
    clock.advance(1)
    assert.equal(sessions.get('token-a'), undefined)
  })

  it('does not remember what was read while something was forgotten: it may predate the change', async () => {
    const memo = new Memo(new ManualClock(new Date('2026-01-01T00:00:00Z')))
    const sessions = memo.table<string>('sessions')
    const read = sessions.beginRead()
    // The session is read, then signed out (and forgotten) before the reader remembers it.
    await memo.forget('acc_ann')
    sessions.set('token-a', 'session of ann', ['acc_ann'], read)
    assert.equal(sessions.get('token-a'), undefined)
    sessions.set('token-a', 'session of ann', ['acc_ann'], sessions.beginRead())
    assert.equal(sessions.get('token-a'), 'session of ann')
  })

  it('remembers what a read found, reads again for what it did not, and forgets by the IDs the value names', async () => {
    const memo = new Memo(new ManualClock(new Date('2026-01-01T00:00:00Z')))
    const orgs = memo.table<string[]>('orgs')
    let reads = 0
    const read = async (found: string[] | undefined) => {
      reads++
      return found
    }
    assert.equal(
      await orgs.remember(
        'acc_ann',
        () => read(undefined),
        () => [],
      ),
      undefined,
    )
    assert.deepEqual(
      await orgs.remember(
        'acc_ann',
        () => read(['org_1']),
        (ids) => ids,
      ),
      ['org_1'],
    )
    assert.deepEqual(
      await orgs.remember(
        'acc_ann',
        () => read(['org_2']),
        (ids) => ids,
      ),
      ['org_1'],
    )
    assert.equal(reads, 2)
    await memo.forget('org_1')
    assert.deepEqual(
      await orgs.remember(
        'acc_ann',
        () => read(['org_2']),
        (ids) => ids,
      ),
      ['org_2'],
    )
    assert.equal(reads, 3)
  })

  const { redisUrl } = loadConfig()
  it('tells every other process sharing the Redis what to forget', { skip: redisUrl ? false : 'REDIS_URL is not set' }, async () => {
    const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'))
    const [redisA, redisB] = [new Redis(redisUrl ?? ''), new Redis(redisUrl ?? '')]
    const [here, there] = [new Memo(clock, redisA), new Memo(clock, redisB)]
    try {
      await there.listen()
      const sessions = there.table<string>('sessions')
      sessions.set('token', 'session', ['acc_remote'], sessions.beginRead())
      await here.forget('acc_remote')
      for (let attempt = 0; there.table<string>('sessions').get('token') !== undefined; attempt++) {
        assert.ok(attempt < 200, 'the other process forgot within two seconds')
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    } finally {
      there.close()
      redisA.disconnect()
      redisB.disconnect()
    }
  })
})
