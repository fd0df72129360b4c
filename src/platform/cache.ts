import type { Redis } from 'ioredis'
import type { Clock } from './clock.ts'

/**
 * A small key-value store for short-lived values (for example a batch job's encrypted portal token),
 * each with a time limit. Embedded mode keeps it in this process's memory, so it is gone when the
 * process stops; server mode keeps it in Redis, shared by every instance. Store secrets encrypted only.
 */
export interface EphemeralCache {
  /** Stores `value` under `key` for `ttlMs` milliseconds, replacing any earlier value. */
  set(key: string, value: string, ttlMs: number): Promise<void>
  /** The value, or null when it is missing or expired. */
  get(key: string): Promise<string | null>
  delete(key: string): Promise<void>
  /** Every live key (without the Redis prefix), for tests and sweeping; not for hot paths. */
  keys(): Promise<string[]>
}

export class MemoryCache implements EphemeralCache {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>()

  constructor(private readonly clock: Clock) {}

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: this.clock.now().getTime() + Math.max(1, Math.ceil(ttlMs)) })
  }

  async get(key: string): Promise<string | null> {
    const entry = this.entries.get(key)
    if (!entry) return null
    if (entry.expiresAt <= this.clock.now().getTime()) {
      this.entries.delete(key)
      return null
    }
    return entry.value
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key)
  }

  async keys(): Promise<string[]> {
    const now = this.clock.now().getTime()
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key)
    return [...this.entries.keys()]
  }
}

export const REDIS_CACHE_PREFIX = 'laurel:cache:'

export class RedisCache implements EphemeralCache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = REDIS_CACHE_PREFIX,
  ) {}

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs)))
  }

  get(key: string): Promise<string | null> {
    return this.redis.get(this.prefix + key)
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key)
  }

  async keys(): Promise<string[]> {
    const found: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 500)
      cursor = next
      for (const key of batch) found.push(key.slice(this.prefix.length))
    } while (cursor !== '0')
    return found
  }
}
