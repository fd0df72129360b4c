import type { Platform } from '../platform/platform.ts'

export const DAY_MS = 24 * 3600_000

/**
 * The demo tells a year of history through the real services, which take "now" from the platform's
 * clock (issuing, revoking, scheduling, check-in, analytics events). This gives them a copy of the
 * platform whose clock reads the moment the story is at. Only the clock moves: the database's own
 * defaults (created-at columns) and the audit log keep the real time, so the audit log stays true.
 */
export class Timeline {
  readonly today: Date
  private moment: Date
  private readonly shifted: Platform

  constructor(platform: Platform) {
    this.today = platform.clock.now()
    this.moment = this.today
    this.shifted = { ...platform, clock: { now: () => this.moment } }
  }

  get db() {
    return this.shifted.db
  }

  /** The platform as it was at `moment`. */
  at(moment: Date): Platform {
    this.moment = moment
    return this.shifted
  }

  daysAgo(days: number): Date {
    return new Date(this.today.getTime() - days * DAY_MS)
  }
}

/** A seeded generator, so every demo holds the same people, scores and dates relative to its start. */
export class DemoRandom {
  private state: number

  constructor(seed: number) {
    this.state = seed
  }

  /** Mulberry32: a tiny, well-spread 32-bit generator; the demo needs repeatability, not secrecy. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)]
    if (item === undefined) throw new Error('Nothing to pick from.')
    return item
  }
}
