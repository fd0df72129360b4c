import type { Redis } from 'ioredis'
import type { Clock } from './clock.ts'

/** How long a remembered copy is used at most: the delay for a change made where `forget` cannot reach. */
export const MEMO_TTL_MS = 5_000
const MAX_ENTRIES_PER_TABLE = 10_000
export const MEMO_CHANNEL = 'laurel:memo:forget'

interface Entry<V> {
  value: V
  derivedFrom: readonly string[]
  expiresAt: number
}

/** When a read began, in forgets seen so far: see `MemoTable.beginRead`. */
export type MemoRead = { readonly forgetsBefore: number }

/** One kind of remembered value (say, login sessions by token hash). */
export class MemoTable<V> {
  private readonly entries = new Map<string, Entry<V>>()

  /** `forgets` counts the forgets so far, in this table's Memo (a table of its own counts none). */
  constructor(
    private readonly clock: Clock,
    private readonly forgets: () => number = () => 0,
  ) {}

  /** Call before reading what `set` will remember, so a change forgotten during the read is not remembered stale. */
  beginRead(): MemoRead {
    return { forgetsBefore: this.forgets() }
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt <= this.clock.now().getTime()) {
      this.entries.delete(key)
      return undefined
    }
    return entry.value
  }

  /**
   * Remembers `value`, which `read` read from the rows whose IDs are in `derivedFrom`, unless
   * something was forgotten since the read began: the value may predate that change (say, a
   * sign-out committed while the read was under way), and a later read will remember it.
   */
  set(key: string, value: V, derivedFrom: readonly string[], read: MemoRead): void {
    if (this.forgets() !== read.forgetsBefore) return
    this.entries.delete(key)
    if (this.entries.size >= MAX_ENTRIES_PER_TABLE) {
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
    this.entries.set(key, { value, derivedFrom, expiresAt: this.clock.now().getTime() + MEMO_TTL_MS })
  }

  /**
   * The value remembered under `key`, or else what `read` returns, remembered as derived from the
   * rows `derivedFrom` names (an undefined read, nothing found, is not remembered).
   */
  async remember<R extends V | undefined>(key: string, read: () => Promise<R>, derivedFrom: (value: V) => readonly string[]): Promise<V | R> {
    const remembered = this.get(key)
    if (remembered !== undefined) return remembered
    const started = this.beginRead()
    const value = await read()
    if (value !== undefined) this.set(key, value as V, derivedFrom(value as V), started)
    return value
  }

  forget(ids: ReadonlySet<string>): void {
    for (const [key, entry] of this.entries) if (entry.derivedFrom.some((id) => ids.has(id))) this.entries.delete(key)
  }
}

/**
 * Copies of what nearly every request reads (the login session behind a cookie, the caller's orgs),
 * kept in this process for at most MEMO_TTL_MS so a busy page does not ask the database the same
 * thing on every request. Each copy names the IDs of the rows it came from; whoever changes one of
 * those rows calls `forget(id)` once the change is committed, which drops the copies here at once and,
 * with Redis, in every other Laurel process. A process that cannot be told (a CLI process with no
 * Redis beside a running server) sees the change when the copy expires.
 */
export class Memo {
  private readonly tables = new Map<string, MemoTable<unknown>>()
  private subscriber: Redis | undefined
  private forgetCount = 0

  constructor(
    private readonly clock: Clock,
    private readonly redis?: Redis,
  ) {}

  table<V>(name: string): MemoTable<V> {
    let table = this.tables.get(name)
    if (!table) {
      table = new MemoTable<unknown>(this.clock, () => this.forgetCount)
      this.tables.set(name, table)
    }
    return table as MemoTable<V>
  }

  async forget(...ids: string[]): Promise<void> {
    this.forgetHere(ids)
    await this.redis?.publish(MEMO_CHANNEL, JSON.stringify(ids))
  }

  /** Hears what other processes forget (with Redis). */
  async listen(): Promise<void> {
    if (!this.redis) return
    this.subscriber = this.redis.duplicate()
    this.subscriber.on('message', (_channel: string, message: string) => {
      const ids = parseIds(message)
      if (ids) this.forgetHere(ids)
    })
    await this.subscriber.subscribe(MEMO_CHANNEL).catch((error: unknown) => {
      this.subscriber?.disconnect()
      const reason = (error instanceof Error ? error.message : String(error)).replace(/\.$/, '')
      throw new Error(`Redis (REDIS_URL) did not answer: ${reason}. Start it, or unset REDIS_URL for a single instance.`)
    })
  }

  close(): void {
    this.subscriber?.disconnect()
  }

  private forgetHere(ids: string[]): void {
    this.forgetCount++
    const set = new Set(ids)
    for (const table of this.tables.values()) table.forget(set)
  }
}

function parseIds(message: string): string[] | undefined {
  try {
    const ids: unknown = JSON.parse(message)
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : undefined
  } catch {
    return undefined
  }
}
