import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import pg from 'pg'
import { buildApp, startPlatform, startWorker } from '../../src/app.ts'
import { type Config, loadConfig } from '../../src/config.ts'
import { ManualClock } from '../../src/platform/clock.ts'
import { createLogger } from '../../src/platform/log.ts'
import type { Platform } from '../../src/platform/platform.ts'

export const TEST_PUBLIC_URL = 'http://laurel.test'

export interface TestEnvironment {
  env: Record<string, string>
  dispose(): Promise<void>
}

/** A fresh, migrated database for one test app: a clone of the run's template database. */
export async function createTestEnvironment(): Promise<TestEnvironment> {
  const masterKey = process.env.LAUREL_MASTER_KEY
  assert.ok(masterKey, 'Run tests through "npm test" (test/run.ts), which prepares the template database.')
  const base: Record<string, string> = { LAUREL_MASTER_KEY: masterKey, PUBLIC_URL: TEST_PUBLIC_URL, LOG_LEVEL: 'debug' }
  if (process.env.REDIS_URL) base.REDIS_URL = process.env.REDIS_URL
  const scratch = process.env.LAUREL_TEST_SCRATCH ?? ''
  const dataDir = await mkdtemp(join(scratch, 'app-'))
  const template = process.env.LAUREL_TEST_PG_TEMPLATE
  const server = process.env.LAUREL_TEST_PG_SERVER
  assert.ok(template && server, 'No template database: run tests through "npm test".')
  const name = `${template}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: server })
  await admin.connect()
  await admin.query(`create database ${name} template ${template}`)
  await admin.end()
  const url = new URL(server)
  url.pathname = `/${name}`
  return {
    env: { ...base, DATA_DIR: dataDir, DATABASE_URL: url.toString() },
    async dispose() {
      const client = new pg.Client({ connectionString: server })
      await client.connect()
      await client.query(`drop database if exists ${name} with (force)`)
      await client.end()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** A new empty folder in the run's scratch folder, removed with it. */
export function scratchFolder(prefix: string): Promise<string> {
  return mkdtemp(join(process.env.LAUREL_TEST_SCRATCH ?? '', prefix))
}

/** The settings of a test app on the embedded database of its own data folder (no DATABASE_URL). */
export function embeddedEnv(dataDir: string): Record<string, string> {
  return { LAUREL_MASTER_KEY: process.env.LAUREL_MASTER_KEY ?? '', PUBLIC_URL: TEST_PUBLIC_URL, LOG_LEVEL: 'debug', DATA_DIR: dataDir }
}

export interface TestApp {
  app: FastifyInstance
  platform: Platform
  config: Config
  clock: ManualClock
  environment: TestEnvironment
  /** Every log line written so far. */
  logs(): string
  /** Passwords, tokens and keys used by the test: none may ever appear in the logs. */
  secrets: Set<string>
  /** Email addresses and names of people the test made: personal data, which no log line may hold either. */
  personalData: Set<string>
  client(options?: { ip?: string }): TestClient
  close(): Promise<void>
}

export interface StartOptions {
  env?: Record<string, string>
  /** Start the job worker (off by default, so tests decide when jobs run). */
  worker?: boolean
  environment?: TestEnvironment
}

/** Builds the real app on a fresh database; `close()` also checks that no secret reached the logs. */
export async function startTestApp(options: StartOptions = {}): Promise<TestApp> {
  const environment = options.environment ?? (await createTestEnvironment())
  const lines: string[] = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk))
      done()
    },
  })
  const config = loadConfig({ ...environment.env, ...options.env })
  const clock = new ManualClock()
  const platform = await startPlatform(config, { log: createLogger('debug', destination), clock })
  const app = await buildApp(platform)
  await app.ready()
  const worker = options.worker ? await startWorker(platform) : undefined
  const secrets = new Set<string>()
  const personalData = new Set<string>()
  let isClosed = false
  return {
    app,
    platform,
    config,
    clock,
    environment,
    secrets,
    personalData,
    logs: () => lines.join(''),
    client: (clientOptions = {}) => new TestClient(app, clientOptions.ip ?? randomIp(), secrets),
    async close() {
      if (isClosed) return
      isClosed = true
      await app.close()
      await worker?.stop()
      await platform.close()
      if (!options.environment) await environment.dispose()
      const logs = lines.join('')
      for (const secret of secrets) assert.ok(!logs.includes(secret), `A secret used in the test appeared in the logs: ${secret.slice(0, 4)}…`)
      for (const value of personalData) assert.ok(!logs.includes(value), `Personal data of the test appeared in the logs: ${value.slice(0, 4)}…`)
      // A failed query's parameters (Drizzle's "params: …") carry whatever the request sent.
      assert.ok(!/\bparams: /.test(logs), 'A failed database query was logged with its parameters')
    },
  }
}

/** A random private address, so clients of different tests never share rate-limit or throttling counters. */
function randomIp(): string {
  const [a = 0, b = 0, c = 0] = randomBytes(3)
  return `10.${a}.${b}.${(c % 254) + 1}`
}

const CSRF_FIELD = /name="_csrf" value="([^"]+)"/

/** A browser-like client over app.inject: keeps cookies, sends CSRF tokens, comes from one IP address. */
export class TestClient {
  private readonly cookies = new Map<string, string>()
  private csrfToken: string | undefined

  constructor(
    private readonly app: FastifyInstance,
    readonly ip: string,
    private readonly secrets: Set<string>,
  ) {}

  async request(options: InjectOptions & { url: string }): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      remoteAddress: this.ip,
      ...options,
      headers: { accept: 'text/html', 'user-agent': 'laurel-test', ...options.headers },
      cookies: Object.fromEntries(this.cookies),
    })
    for (const cookie of response.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const isExpired = cookie.maxAge === 0 || (cookie.expires !== undefined && cookie.expires.getTime() < Date.now())
      if (isExpired || cookie.value === '') this.cookies.delete(cookie.name)
      else this.cookies.set(cookie.name, cookie.value)
    }
    const token = response.headers['content-type']?.toString().includes('text/html') ? CSRF_FIELD.exec(response.body)?.[1] : undefined
    if (token) this.csrfToken = token
    return response
  }

  get(url: string): Promise<LightMyRequestResponse> {
    return this.request({ method: 'GET', url })
  }

  /** Submits a form as a browser would, with the CSRF token of a page this client has seen. */
  /** Posts a form with the last CSRF token seen; a field given a list is sent once per value. */
  async submit(url: string, fields: Record<string, string | string[]>): Promise<LightMyRequestResponse> {
    if (!this.csrfToken) await this.get('/sign-in')
    const entries = Object.entries(fields).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((one) => [name, one]))
    for (const [name, value] of entries) if (/password|token|code/i.test(name ?? '') && (value ?? '').length >= 8) this.secrets.add(value ?? '')
    return this.request({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams([...entries, ['_csrf', this.csrfToken ?? '']] as [string, string][]).toString(),
    })
  }

  /** Sends a file as a browser's upload form would (multipart, with the last CSRF token seen). */
  async upload(url: string, field: string, fileName: string, content: string | Buffer): Promise<LightMyRequestResponse> {
    if (!this.csrfToken) await this.get('/sign-in')
    const boundary = `laurel${randomBytes(8).toString('hex')}`
    const part = (headers: string, body: string | Buffer) => [Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`), Buffer.from(body), Buffer.from('\r\n')]
    return this.request({
      method: 'POST',
      url,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.concat([
        ...part('Content-Disposition: form-data; name="_csrf"', this.csrfToken ?? ''),
        ...part(`Content-Disposition: form-data; name="${field}"; filename="${fileName}"\r\nContent-Type: application/octet-stream`, content),
        Buffer.from(`--${boundary}--\r\n`),
      ]),
    })
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name)
  }

  async signIn(email: string, password: string): Promise<LightMyRequestResponse> {
    const response = await this.submit('/sign-in', { email, password, next: '/' })
    assert.equal(response.statusCode, 302, `sign-in failed with ${response.statusCode}: ${textOf(response.body).slice(0, 300)}`)
    return response
  }
}

/** Visible text of an HTML page, for assertions that should not depend on markup. */
export function textOf(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim()
}
