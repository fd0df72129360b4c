import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { Redis } from 'ioredis'
import { loadConfig } from '../config.ts'
import { type EphemeralCache, MemoryCache, REDIS_CACHE_PREFIX, RedisCache } from './cache.ts'
import { ManualClock } from './clock.ts'

async function checkBasics(cache: EphemeralCache) {
  await cache.set('a', 'one', 60_000)
  await cache.set('b', 'two', 60_000)
  assert.equal(await cache.get('a'), 'one')
  await cache.set('a', 'uno', 60_000)
  assert.equal(await cache.get('a'), 'uno')
  assert.deepEqual((await cache.keys()).sort(), ['a', 'b'])
  await cache.delete('a')
  assert.equal(await cache.get('a'), null)
  assert.deepEqual(await cache.keys(), ['b'])
  await cache.delete('b')
  assert.deepEqual(await cache.keys(), [])
}

describe('ephemeral cache', () => {
  it('memory: stores, replaces, lists and deletes, and forgets a value at its time limit', async () => {
    const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'))
    const cache = new MemoryCache(clock)
    await checkBasics(cache)
    await cache.set('short', 'x', 1000)
    clock.advance(999)
    assert.equal(await cache.get('short'), 'x')
    clock.advance(1)
    assert.equal(await cache.get('short'), null)
    await cache.set('listed', 'y', 1000)
    clock.advance(1000)
    assert.deepEqual(await cache.keys(), [])
  })

  const { redisUrl } = loadConfig()
  it('redis: the same behaviour, under its own key prefix, with the time limit set in Redis', { skip: redisUrl ? false : 'REDIS_URL is not set' }, async () => {
    const redis = new Redis(redisUrl ?? '', { maxRetriesPerRequest: 2 })
    try {
      const prefix = `${REDIS_CACHE_PREFIX}test-${randomBytes(4).toString('hex')}:`
      const cache = new RedisCache(redis, prefix)
      await checkBasics(cache)
      // A limit long enough to read back however slow the machine, then a short one to see it end.
      await cache.set('short', 'x', 60_000)
      const ttl = await redis.pttl(`${prefix}short`)
      assert.ok(ttl > 0 && ttl <= 60_000, `PX set (${ttl} ms left)`)
      await cache.set('short', 'x', 150)
      await new Promise((resolve) => setTimeout(resolve, 300))
      assert.equal(await cache.get('short'), null)
      assert.deepEqual(await cache.keys(), [])
    } finally {
      redis.disconnect()
    }
  })
})
