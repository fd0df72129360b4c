import type { WorkerTask } from '../feature.ts'
import type { Platform } from '../platform.ts'

/**
 * Runs `sweep` in a worker process every `intervalMs` (first after `firstDelayMs`, by default at once),
 * never two at a time and never after `stop`, which waits for the one running. A failure is logged
 * and the next round tries again.
 */
export function startSweeper(
  platform: Platform,
  options: { what: string; intervalMs: number; firstDelayMs?: number; sweep(platform: Platform): Promise<unknown> },
): WorkerTask {
  let running: Promise<unknown> = Promise.resolve()
  let isStopped = false
  let timer: NodeJS.Timeout | undefined
  const round = async () => {
    if (isStopped) return
    running = options.sweep(platform).catch((error: unknown) => platform.log.warn({ err: error }, `${options.what} failed`))
    await running
    if (isStopped) return
    timer = setTimeout(() => void round(), options.intervalMs)
    timer.unref()
  }
  timer = setTimeout(() => void round(), options.firstDelayMs ?? 0)
  timer.unref()
  return {
    async stop() {
      isStopped = true
      clearTimeout(timer)
      await running
    },
  }
}
