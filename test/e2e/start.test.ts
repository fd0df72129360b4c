import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Worker } from 'node:worker_threads'
import pg from 'pg'
import { createDocumentLoader } from '../../src/features/credentials/signing/contexts.ts'
import type { SigningResult, SigningTask } from '../../src/features/credentials/signing/sign.ts'
import { didKeySigner, openBadgeCredential } from '../../src/features/credentials/signing/test-fixtures.ts'
import { verifyCredential } from '../../src/features/credentials/signing/verify.ts'
import { textOf } from '../support/harness.ts'
import { freePort } from '../support/processes.ts'

/*
 * `npm start` runs a bundle of src/ that scripts/start.mjs builds into .build/. Paths that the sources
 * resolve from their own location (migrations, assets, node_modules, the signing worker) must hold
 * there too: start it on an empty data folder, sign in as the printed demo account, and sign with the
 * bundled worker.
 */

const ROOT = new URL('../..', import.meta.url).pathname
let baseUrl = ''
let dataDir: string
let child: ChildProcess
let output = ''

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'laurel-start-'))
  const port = await freePort()
  baseUrl = `http://127.0.0.1:${port}`
  child = spawn(process.execPath, ['scripts/start.mjs', 'serve', '--demo'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LAUREL_MASTER_KEY: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
    },
  })
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  for (let waited = 0; !output.includes('Demo sign-in:'); waited += 100) {
    assert.ok(child.exitCode === null, `npm start exited early:\n${output}`)
    assert.ok(waited < 90_000, `npm start was not ready within 90 s:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
})

after(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
  await rm(dataDir, { recursive: true, force: true })
})

/** Cookies of one browser, enough for a form sign-in. */
class CookieJar {
  private readonly cookies = new Map<string, string>()
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(`${baseUrl}${path}`, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    })
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const at = pair.indexOf('=')
      this.cookies.set(pair.slice(0, at), pair.slice(at + 1))
    }
    return response
  }
}

describe('npm start (the bundle)', () => {
  it('migrates, creates the demo, serves pages and assets, and the printed demo account signs in', async () => {
    assert.match(output, /Created the demo organisation "Northwind Certification Board"/)
    const [, email = '', password = ''] = /Demo sign-in: (\S+) \/ (\S+)/.exec(output) ?? []
    for (const asset of ['/assets/laurel.css', '/assets/htmx/htmx.min.js', '/assets/pico/pico.min.css']) {
      assert.equal((await fetch(`${baseUrl}${asset}`)).status, 200, asset)
    }
    const browser = new CookieJar()
    const signInPage = await (await browser.fetch('/sign-in')).text()
    const csrf = /name="_csrf" value="([^"]+)"/.exec(signInPage)?.[1] ?? ''
    const signedIn = await browser.fetch('/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email, password, next: '/', _csrf: csrf }).toString(),
    })
    assert.equal(signedIn.status, 302)
    let home = await browser.fetch('/')
    for (let hops = 0; home.status === 302 && hops < 3; hops++) home = await browser.fetch(home.headers.get('location') ?? '/')
    assert.equal(home.status, 200)
    assert.match(textOf(await home.text()), /Northwind Certification Board/)
  })

  it('signs credentials on the bundled signing worker', async () => {
    const worker = new Worker(join(ROOT, '.build/signing-worker.mjs'))
    try {
      const signer = await didKeySigner()
      const task: SigningTask = { credentials: [openBadgeCredential({ issuerDid: signer.did })], signer, options: { fastCanonicalization: true } }
      worker.postMessage(task)
      const [result] = (await once(worker, 'message')) as [SigningResult]
      assert.ok('signed' in result, 'error' in result ? result.error : '')
      const [signed] = result.signed
      assert.ok(signed)
      assert.equal((await verifyCredential(signed, { documentLoader: createDocumentLoader() })).verdict, 'valid')
    } finally {
      await worker.terminate()
    }
  })

  it('keeps answering while another client of the embedded server sets a hostile search_path and read-only transactions', async () => {
    const password = (await readFile(join(dataDir, 'database.password'), 'utf8')).trim()
    const intruder = new pg.Client({ host: dataDir, port: 5432, user: 'postgres', password, database: 'laurel' })
    await intruder.connect()
    try {
      await intruder.query(`set search_path = ''`)
      await intruder.query('set default_transaction_read_only = on')
      await intruder.query(`select set_config('search_path', '', false)`)
      const ready = await fetch(`${baseUrl}/ready`)
      assert.equal(ready.status, 200, await ready.text())
      // A page that reads and writes (the sign-in form's login session and audit entry).
      const browser = new CookieJar()
      const signInPage = await (await browser.fetch('/sign-in')).text()
      const csrf = /name="_csrf" value="([^"]+)"/.exec(signInPage)?.[1] ?? ''
      const refused = await browser.fetch('/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: 'nobody@demo.laurel.test', password: 'not-the-password-1', next: '/', _csrf: csrf }).toString(),
      })
      assert.match(textOf(await refused.text()), /The email or password is not correct/)
    } finally {
      await intruder.end()
    }
  })

  it('stops on SIGTERM and closes the embedded database (its socket is gone)', async () => {
    const socket = join(dataDir, '.s.PGSQL.5432')
    assert.ok(existsSync(socket), 'the embedded database serves on its socket')
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit')
    assert.equal(code, 0, output)
    assert.ok(!existsSync(socket), 'the socket was removed when its engine closed')
  })
})
