/**
 * Runs a test suite: `npm test` (the embedded PostgreSQL), `npm run test:pg` (the PostgreSQL server
 * named by DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres) or `npm run test:browser`.
 *
 * It prepares one migrated template database per run, on an embedded server of its own in a
 * scratch folder or on the named server, which every test app clones; runs node:test; and removes
 * everything it made. node:test's summary is the last thing printed. Extra arguments pick test
 * files by part of their path: `npm test -- sign-in`.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join, relative } from 'node:path'
import pg from 'pg'
import { startPlatform } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { embeddedUrl, startEmbedded } from '../src/platform/db/embedded.ts'
import { createLogger } from '../src/platform/log.ts'

const mode = process.argv.includes('--pg') ? 'pg' : process.argv.includes('--browser') ? 'browser' : 'embedded'
const root = new URL('..', import.meta.url).pathname

async function findTests(dir: string, include: (path: string) => boolean): Promise<string[]> {
  const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile() && /\.test\.tsx?$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .filter(include)
    .sort()
}

async function prepareTemplate(env: Record<string, string>): Promise<void> {
  const platform = await startPlatform(loadConfig(env), { log: createLogger('warn') })
  await platform.jobs.start()
  await platform.close()
}

async function main(): Promise<number> {
  const masterKey = randomBytes(32).toString('hex')
  const scratch = await mkdtemp(join(tmpdir(), 'laurel-test-'))
  // As root, the embedded servers run as the unprivileged "postgres" user, which must reach their folders in here.
  if (userInfo().uid === 0) await chmod(scratch, 0o711)
  const env: Record<string, string> = { LAUREL_MASTER_KEY: masterKey, DATA_DIR: join(scratch, 'template'), LOG_LEVEL: 'warn' }
  let stopEngine = async () => {}
  let serverUrl: string
  if (mode === 'pg') {
    serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  } else {
    // Durability is not wanted for test data: without fsync a test file's clone and its writes cost far less.
    const engine = await startEmbedded(join(scratch, 'engine'), {
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: 300 },
    })
    serverUrl = embeddedUrl(engine.connection, 'postgres')
    stopEngine = engine.stop
  }

  const templateName = `laurel_test_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`create database ${templateName}`)
  const templateUrl = new URL(serverUrl)
  templateUrl.pathname = `/${templateName}`
  env.DATABASE_URL = templateUrl.toString()
  await prepareTemplate(env)
  process.env.LAUREL_TEST_PG_TEMPLATE = templateName
  process.env.LAUREL_TEST_PG_SERVER = serverUrl
  const cleanup = async () => {
    const clones = await admin.query<{ datname: string }>('select datname from pg_database where datname like $1', [`${templateName}%`])
    for (const { datname } of clones.rows) await admin.query(`drop database if exists ${datname} with (force)`)
    await admin.end()
    await stopEngine()
  }

  const only = process.argv.slice(2).filter((arg) => !arg.startsWith('--'))
  const all =
    mode === 'browser'
      ? await findTests('test/browser', () => true)
      : [...(await findTests('src', () => true)), ...(await findTests('test', (path) => !path.startsWith('test/browser/')))]
  const files = only.length > 0 ? all.filter((file) => only.some((part) => file.includes(part))) : all

  const code = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        './test/support/file-guard.ts',
        '--test',
        '--test-reporter=spec',
        `--test-concurrency=${mode === 'browser' ? 1 : 2}`,
        ...files,
      ],
      {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, LAUREL_MASTER_KEY: masterKey, LAUREL_TEST_SCRATCH: scratch },
      },
    )
    child.on('exit', (exitCode) => resolve(exitCode ?? 1))
  })
  await cleanup()
  await rm(scratch, { recursive: true, force: true })
  return code
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
