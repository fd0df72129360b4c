import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { PROJECT_ROOT } from '../../src/platform/paths.ts'

describe('test file guard', () => {
  it('says which file ended its process with a non-zero code, and where', async () => {
    const child = spawn(
      process.execPath,
      ['--import', './test/support/file-guard.ts', '--input-type=module', '-e', 'setTimeout(() => process.exit(3), 1)', 'stand-in.test.ts'],
      {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
    let stderr = ''
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const [code] = await once(child, 'exit')
    assert.equal(code, 3)
    assert.match(stderr, /stand-in\.test\.ts ended with exit code 3; the process was ended here:[\s\S]*at process\.exit/)
  })
})
