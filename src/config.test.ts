import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ConfigError, ENV_VARS, loadConfig } from './config.ts'

describe('loadConfig', () => {
  it('applies defaults for the embedded mode', () => {
    const config = loadConfig({})
    assert.equal(config.port, 3000)
    assert.equal(config.database.kind, 'embedded')
    assert.equal(config.publicUrl.toString(), 'http://localhost:3000/')
    assert.equal(config.isHttps, false)
    assert.ok(Object.isFrozen(config))
  })

  it('switches to the PostgreSQL server named by DATABASE_URL', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://laurel@db:5432/laurel' })
    assert.deepEqual(config.database, { kind: 'server', url: 'postgres://laurel@db:5432/laurel' })
  })

  it('keeps the audit checkpoint in DATA_DIR unless AUDIT_CHECKPOINT_FILE names another file', () => {
    assert.equal(loadConfig({ DATA_DIR: '/srv/laurel' }).auditCheckpointFile, '/srv/laurel/audit-checkpoint.json')
    assert.equal(loadConfig({ DATA_DIR: '/srv/laurel', AUDIT_CHECKPOINT_FILE: '/var/lib/anchor.json' }).auditCheckpointFile, '/var/lib/anchor.json')
  })

  it('names every bad variable and what it expects, without echoing secrets', () => {
    assert.throws(
      () => loadConfig({ PORT: '80a', LOG_LEVEL: 'loud', PUBLIC_URL: 'ftp://x', LAUREL_MASTER_KEY: 'too-short-secret', REDIS_URL: 'http://user:pw@x' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError)
        assert.equal(error.problems.length, 5)
        assert.match(error.message, /PORT must be an integer from 1 to 65535.*\(got "80a"\)/)
        assert.match(error.message, /LOG_LEVEL must be one of/)
        assert.match(error.message, /PUBLIC_URL must be/)
        assert.match(error.message, /LAUREL_MASTER_KEY must be 32 bytes/)
        assert.doesNotMatch(error.message, /too-short-secret|user:pw/)
        return true
      },
    )
  })

  it('accepts a master key as hex or base64', () => {
    const hex = 'ab'.repeat(32)
    assert.equal(loadConfig({ LAUREL_MASTER_KEY: hex }).masterKey?.toString('hex'), hex)
    assert.equal(loadConfig({ LAUREL_MASTER_KEY: Buffer.from(hex, 'hex').toString('base64') }).masterKey?.toString('hex'), hex)
  })

  it('signs mail with DKIM only with a domain, a selector and a readable private key together', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'laurel-config-'))
    try {
      const keyFile = join(dir, 'dkim.pem')
      const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
      await writeFile(keyFile, pem)
      assert.equal(loadConfig({}).dkim, undefined)
      assert.deepEqual(loadConfig({ DKIM_DOMAIN: 'Example.org', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY_FILE: keyFile }).dkim, {
        domainName: 'example.org',
        keySelector: 's1',
        privateKey: pem,
      })
      await writeFile(join(dir, 'not-a-key.pem'), 'hello')
      assert.throws(
        () => loadConfig({ DKIM_DOMAIN: 'example.org', DKIM_PRIVATE_KEY_FILE: join(dir, 'not-a-key.pem') }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError)
          assert.deepEqual(
            error.problems.map((problem) => problem.split(' ')[0]),
            ['DKIM_SELECTOR', 'DKIM_PRIVATE_KEY_FILE'],
          )
          return true
        },
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('is documented: the README lists every variable', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
    for (const name of Object.keys(ENV_VARS)) assert.match(readme, new RegExp(`\\|\\s*\`${name}\`\\s*\\|`), `README lacks ${name}`)
  })
})
