import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Polls `probe` every 50 ms until it returns something other than undefined, and returns that. The
 * time limit only bounds a test that would otherwise hang; what a test checks never depends on it.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`)
    await sleep(50)
  }
}
