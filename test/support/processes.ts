/**
 * For crash tests: Laurel processes started from the repository on one test database, killed and
 * started again, and the database opened from the test process in between.
 */
import assert from 'node:assert/strict'
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { startPlatform } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { createLogger } from '../../src/platform/log.ts'
import type { Platform } from '../../src/platform/platform.ts'

const ROOT = new URL('../..', import.meta.url).pathname

export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  assert.ok(address && typeof address === 'object')
  return address.port
}

/** Laurel processes with one environment; `killAll` after the test ends those still running. */
export class LaurelProcesses {
  private readonly children: ChildProcessWithoutNullStreams[] = []

  constructor(private readonly env: Record<string, string>) {}

  /** Starts a Laurel process and waits until it prints `readyPattern`; its other output is kept for failure messages. */
  async launch(args: string[], readyPattern: RegExp) {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env },
    })
    this.children.push(child)
    let stderr = ''
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
    const next = async (pattern: RegExp): Promise<string> => {
      for (;;) {
        const line = await lines.next()
        if (line.done) throw new Error(`The Laurel process exited: ${stderr.slice(-2000)}`)
        if (pattern.test(line.value)) return line.value
      }
    }
    await next(readyPattern)
    return { child, next, stderr: () => stderr }
  }

  killAll(): void {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
}

export async function withPlatform<T>(env: Record<string, string>, body: (platform: Platform) => Promise<T>): Promise<T> {
  const platform = await startPlatform(loadConfig(env), { log: createLogger('warn') })
  try {
    return await body(platform)
  } finally {
    await platform.close()
  }
}
