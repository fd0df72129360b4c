import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { cp, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import pg from 'pg'
import { scratchFolder } from '../../../test/support/harness.ts'
import { PROJECT_ROOT } from '../paths.ts'
import { type EmbeddedEngine, startEmbedded } from './embedded.ts'

const folders: string[] = []
const running: EmbeddedEngine[] = []
after(async () => {
  for (const engine of running) await engine.stop().catch(() => {})
  for (const folder of folders) await rm(folder, { recursive: true, force: true })
})

async function newFolder(): Promise<string> {
  const folder = await scratchFolder('embedded-')
  folders.push(folder)
  return folder
}

async function start(dataDir: string): Promise<EmbeddedEngine> {
  const engine = await startEmbedded(dataDir, { settings: { fsync: 'off' } })
  running.push(engine)
  return engine
}

async function query<Row extends pg.QueryResultRow>(engine: EmbeddedEngine, text: string): Promise<Row[]> {
  const client = new pg.Client(engine.connection)
  await client.connect()
  try {
    return (await client.query<Row>(text)).rows
  } finally {
    await client.end()
  }
}

const socketOf = (dataDir: string) => join(dataDir, '.s.PGSQL.5432')

/** Another process that starts the embedded server on `dataDir` and keeps running until killed. */
async function startInChild(dataDir: string): Promise<ChildProcess> {
  const module = join(PROJECT_ROOT, 'src/platform/db/embedded.ts')
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `const { startEmbedded } = await import(${JSON.stringify(module)}); await startEmbedded(process.argv[1]); console.log('ready'); setInterval(() => {}, 1000)`,
      dataDir,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const [chunk] = (await Promise.race([once(child.stdout, 'data'), once(child, 'exit')])) as [Buffer | number]
  assert.equal(String(chunk).trim(), 'ready', 'the child process started the embedded server')
  return child
}

describe('embedded PostgreSQL', () => {
  it('runs from the data folder: a socket inside it (mode 0700), no TCP port, a password file of mode 0600, one session per connection', async () => {
    const dataDir = await newFolder()
    const engine = await start(dataDir)
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700)
    assert.equal((await stat(join(dataDir, 'database.password'))).mode & 0o777, 0o600)
    assert.ok(existsSync(socketOf(dataDir)))
    const [settings] = await query<{ listen: string; version: string; user: string }>(
      engine,
      `select current_setting('listen_addresses') as listen, current_setting('server_version') as version, current_user as user`,
    )
    assert.deepEqual({ ...settings, version: settings?.version.split('.')[0] }, { listen: '', version: '18', user: 'postgres' })
    await assert.rejects(new pg.Client({ ...engine.connection, password: 'wrong' }).connect(), /password authentication failed/)

    // What one client sets stays in its own session (PGlite shared one session between all of them).
    const hostile = new pg.Client(engine.connection)
    hostile.on('error', () => {})
    await hostile.connect()
    await hostile.query(`set search_path = ''`)
    await hostile.query('set default_transaction_read_only = on')
    await query(engine, 'create table kept (id int)')
    const [row] = await query<{ id: number }>(engine, 'insert into kept values (7) returning id')
    assert.equal(row?.id, 7)
    await hostile.end()

    await engine.stop()
    assert.ok(!existsSync(socketOf(dataDir)), 'stopping the server removes its socket')
  })

  it('shares one server between processes, and takes over the server of a process that was killed', async () => {
    const dataDir = await newFolder()
    const first = await startInChild(dataDir)
    const guest = await start(dataDir)
    await query(guest, 'create table shared (id int)')
    await guest.stop()
    assert.ok(existsSync(socketOf(dataDir)), 'a process that only connected leaves the server to the one that started it')

    first.kill('SIGKILL')
    await once(first, 'exit')
    const owner = await start(dataDir)
    assert.deepEqual(await query(owner, 'select count(*)::int as n from shared'), [{ n: 0 }])
    await owner.stop()
    assert.ok(!existsSync(socketOf(dataDir)), 'the process that took the server over stops it')
  })

  it('starts again from a copy of its stopped data folder (the pause-and-copy backup)', async () => {
    const dataDir = await newFolder()
    const engine = await start(dataDir)
    await query(engine, `create table notes (body text); insert into notes values ('kept through the copy')`)
    await engine.stop()
    const copy = await newFolder()
    await cp(dataDir, copy, { recursive: true })
    const restored = await start(copy)
    assert.deepEqual(await query(restored, 'select body from notes'), [{ body: 'kept through the copy' }])
    assert.ok(existsSync(socketOf(copy)), 'the copy serves on a socket in its own folder')
    await restored.stop()
  })
})
