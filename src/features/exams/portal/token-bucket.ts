import { setTimeout as sleep } from 'node:timers/promises'

/**
 * A token bucket: `ratePerSecond` tokens a second, holding at most `capacity`. The connector waits on
 * it to stay under a portal's rate limit; the simulator asks it whether a request is over the limit.
 */
export class TokenBucket {
  private tokens: number
  private updatedAt = performance.now()

  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
  ) {
    if (!(ratePerSecond > 0) || !(capacity >= 1)) throw new RangeError('A token bucket needs a positive rate and a capacity of at least 1.')
    this.tokens = capacity
  }

  private refill(): void {
    const now = performance.now()
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSecond)
    this.updatedAt = now
  }

  /** Takes a token if one is there and returns 0, otherwise returns the milliseconds until one will be. */
  tryTake(): number {
    this.refill()
    if (this.tokens >= 1) {
      this.tokens -= 1
      return 0
    }
    return ((1 - this.tokens) / this.ratePerSecond) * 1000
  }

  /** Waits for a token. The balance may go negative: each waiter reserves the next token, so waiters are served in order. */
  async take(): Promise<void> {
    this.refill()
    this.tokens -= 1
    if (this.tokens < 0) await sleep((-this.tokens / this.ratePerSecond) * 1000)
  }
}
