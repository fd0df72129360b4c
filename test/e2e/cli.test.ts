import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { runCli } from '../support/cli.ts'
import { createTestEnvironment, type TestEnvironment } from '../support/harness.ts'

let environment: TestEnvironment
before(async () => {
  environment = await createTestEnvironment()
})
after(() => environment.dispose())

describe('laurel CLI', () => {
  it('lists its commands, and each has --help', async () => {
    const help = await runCli(['--help'], environment.env)
    assert.equal(help.code, 0)
    for (const command of ['serve', 'worker', 'migrate', 'demo', 'user create-admin', 'audit verify', 'keys rotate'])
      assert.match(help.stdout, new RegExp(`  ${command} `))
    const serveHelp = await runCli(['serve', '--help'], environment.env)
    assert.match(serveHelp.stdout, /--no-worker/)
  })

  it('stops with a message naming a bad variable', async () => {
    const result = await runCli(['migrate'], { ...environment.env, PORT: 'eighty' })
    assert.equal(result.code, 2)
    assert.match(result.stderr, /PORT must be an integer from 1 to 65535 \(default 3000\) \(got "eighty"\)/)
  })

  it('creates demo data only on an empty database, and a platform admin on demand', async () => {
    const first = await runCli(['demo'], environment.env)
    assert.equal(first.code, 0, first.stderr)
    assert.match(first.stdout, /Created "Northwind Certification Board"/)
    assert.match(first.stdout, /Demo sign-in: admin@demo\.laurel\.test \/ \S+/)
    assert.match(first.stdout, /Demo recipient \(no organisation, sees My credentials\): priya\.raman@demo\.laurel\.test \/ \S+/)
    const second = await runCli(['demo'], environment.env)
    assert.equal(second.code, 1)
    assert.match(second.stderr, /only created on an empty one/)
    const admin = await runCli(['user', 'create-admin', '--email', 'operator@example.org', '--name', 'Operator'], environment.env)
    assert.equal(admin.code, 0, admin.stderr)
    assert.match(admin.stdout, /Created platform administrator operator@example.org/)
  })

  it('says plainly when the master key is not the one the data was created with', async () => {
    const other = { ...environment.env, LAUREL_MASTER_KEY: 'ab'.repeat(32) }
    const result = await runCli(['audit', 'verify'], other)
    assert.equal(result.code, 1)
    assert.match(result.stderr, /The master key does not open this database’s data keys/)
  })
})
