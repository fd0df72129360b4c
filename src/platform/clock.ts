/** The source of "now" for rules that depend on time (throttling delays, expiry), so tests can move it. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/**
 * A clock tests move by hand. Without a start it follows real time plus what was advanced (for tests
 * that also meet the database's own clock); with a start it stands still until advanced, for tests
 * that assert a limit to the millisecond.
 */
export class ManualClock implements Clock {
  private offsetMs = 0
  constructor(private readonly frozenAt?: Date) {}
  now(): Date {
    return new Date((this.frozenAt?.getTime() ?? Date.now()) + this.offsetMs)
  }
  advance(ms: number): void {
    this.offsetMs += ms
  }
}
