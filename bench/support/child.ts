import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { withCleanup } from './cleanup.ts'

const STARTUP_TIMEOUT_MS = 180_000
const ANSWER_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 30_000

export interface ChildServer<Ready> {
  /** The first JSON line the server printed. */
  ready: Ready
  /** Writes a command line to the server's stdin and waits for its JSON answer. */
  command(line: string): Promise<void>
}

/**
 * Runs a server script in its own Node process (under tsx) for the duration of `body`. The script
 * speaks JSON lines on stdout: the first says it is ready, then one answers each command. Closing
 * its stdin asks it to shut down; it is killed if it takes longer than STOP_TIMEOUT_MS.
 */
export async function withChildServer<Ready, T>(script: URL, env: Record<string, string>, body: (server: ChildServer<Ready>) => Promise<T>): Promise<T> {
  // BENCH_CPU_PROF=<folder> writes a V8 CPU profile of every child server there (open it in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', script.pathname], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const exit = once(child, 'exit')
  const exitedEarly = exit.then(([code, signal]) => {
    throw new Error(`${script.pathname} exited (${signal ?? `code ${code}`}).`)
  })
  exitedEarly.catch(() => {}) // observed only while waiting for an answer
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()

  const nextMessage = async <T>(timeoutMs: number): Promise<T> => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`No answer from ${script.pathname} within ${timeoutMs / 1000} s.`)), timeoutMs)
    })
    try {
      for (;;) {
        const line = await Promise.race([lines.next(), exitedEarly, timeout])
        if (line.done) throw new Error(`${script.pathname} closed its output.`)
        if (line.value.startsWith('{')) return JSON.parse(line.value) as T
        console.log(line.value) // not protocol: pass it through
      }
    } finally {
      clearTimeout(timer)
    }
  }

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.stdin.end()
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    await exit
    clearTimeout(timer)
  }

  return withCleanup(stop, async () => {
    const ready = await nextMessage<Ready>(STARTUP_TIMEOUT_MS)
    const command = async (line: string) => {
      child.stdin.write(`${line}\n`)
      const answer = await nextMessage<{ error?: string }>(ANSWER_TIMEOUT_MS)
      if (answer.error) throw new Error(answer.error)
    }
    return body({ ready, command })
  })
}
