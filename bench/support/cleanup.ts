/**
 * Cleanup that also runs when the benchmark is interrupted: `withCleanup` runs `cleanup` after `body`
 * whatever happens, and on SIGINT or SIGTERM every pending cleanup runs (newest first) before exit.
 */
const pending: (() => Promise<void>)[] = []

export async function withCleanup<T>(cleanup: () => Promise<void>, body: () => Promise<T>): Promise<T> {
  pending.push(cleanup)
  try {
    return await body()
  } finally {
    pending.splice(pending.indexOf(cleanup), 1)
    await cleanup()
  }
}

export function cleanUpOnSignals(): void {
  const stop = async (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: cleaning up…`)
    for (const cleanup of pending.reverse()) await cleanup().catch((error: unknown) => console.error(error))
    process.exit(130)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
