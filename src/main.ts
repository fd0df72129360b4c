import { parseArgs } from 'node:util'
import { buildApp, featureCommands, startPlatform, startWorker } from './app.ts'
import { type Config, ConfigError, loadConfig } from './config.ts'
import { createDemoData, DEMO_ADMIN, DEMO_RECIPIENT, isDatabaseEmpty } from './demo/index.ts'
import { describeAuditVerdict, verifyAuditLog } from './platform/audit/verify.ts'
import { rotateKeysJob } from './platform/crypto/jobs.ts'
import { openDatabase } from './platform/db/client.ts'
import { migrateDatabase } from './platform/db/migrate.ts'
import type { Command } from './platform/feature.ts'
import { createLogger } from './platform/log.ts'
import type { Platform } from './platform/platform.ts'

type CliCommand = Omit<Command, 'run'> & { run(config: Config, args: string[]): Promise<number> }

/** Runs `body` with an open platform and closes it afterwards, whatever happens. */
async function withPlatform(
  config: Config,
  body: (platform: Platform) => Promise<number>,
  options: { writesAuditCheckpoints?: boolean } = {},
): Promise<number> {
  const platform = await startPlatform(config, { ...options, log: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel) })
  try {
    return await body(platform)
  } finally {
    await platform.close()
  }
}

const serve: CliCommand = {
  name: 'serve',
  summary: 'Run the web server and the job worker',
  usage:
    'laurel serve [--no-worker] [--demo]\n\n  --no-worker  serve web requests only; run jobs with "laurel worker" elsewhere\n  --demo       on an empty database, create a demo organisation first (npm start does this)',
  async run(config, args) {
    const { values } = parseArgs({ args, options: { 'no-worker': { type: 'boolean' }, demo: { type: 'boolean' } } })
    const startedAt = performance.now()
    const log = createLogger(config.logLevel)
    const platform = await startPlatform(config, { log })
    let isDemoCreated = false
    if (values.demo && (await isDatabaseEmpty(platform))) {
      const { orgName } = await createDemoData(platform)
      isDemoCreated = true
      console.log(`Created the demo organisation "${orgName}" with a year of sample credentials and exam sessions.`)
    }
    const app = await buildApp(platform)
    // Serve first; the queue starts right after (an enqueue waits for that start).
    await app.listen({ port: config.port, host: config.host })
    await platform.jobs.start()
    const tasks = values['no-worker'] ? undefined : await startWorker(platform)
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1)
    console.log(`Laurel is ready at ${config.publicUrl.origin} (started in ${seconds} s, ${platform.database.kind} database).`)
    if (values.demo && (isDemoCreated || (await hasDemoAdmin(platform)))) {
      printDemoSignIns()
    }
    await waitForShutdown(async () => {
      await app.close()
      await tasks?.stop()
      await platform.close()
    })
    return 0
  },
}

function printDemoSignIns(): void {
  console.log(`Demo sign-in: ${DEMO_ADMIN.email} / ${DEMO_ADMIN.password}`)
  console.log(`Demo recipient (no organisation, sees My credentials): ${DEMO_RECIPIENT.email} / ${DEMO_RECIPIENT.password}`)
}

async function hasDemoAdmin(platform: Platform): Promise<boolean> {
  const { findAccountByEmail } = await import('./features/identity/service.ts')
  return (await findAccountByEmail(platform.db, DEMO_ADMIN.email)) !== undefined
}

const worker: CliCommand = {
  name: 'worker',
  summary: 'Run background jobs only (server mode: run as many as you like)',
  usage: 'laurel worker',
  async run(config) {
    const platform = await startPlatform(config, { log: createLogger(config.logLevel) })
    const tasks = await startWorker(platform)
    console.log('Laurel worker is running.')
    await waitForShutdown(async () => {
      await tasks.stop()
      await platform.close()
    })
    return 0
  },
}

const migrate: CliCommand = {
  name: 'migrate',
  summary: 'Apply database migrations (also done at every start)',
  usage: 'laurel migrate',
  async run(config) {
    const database = await openDatabase(config.database)
    try {
      await migrateDatabase(database.pool)
      console.log('The database is up to date.')
      return 0
    } finally {
      await database.close()
    }
  },
}

const demo: CliCommand = {
  name: 'demo',
  summary: 'Create the demo organisation with a year of sample data (only on an empty database)',
  usage: 'laurel demo',
  run: (config) =>
    withPlatform(config, async (platform) => {
      if (!(await isDatabaseEmpty(platform))) {
        console.error('The database already has accounts; demo data is only created on an empty one.')
        return 1
      }
      const { orgName } = await createDemoData(platform)
      console.log(`Created "${orgName}" with a year of sample credentials and exam sessions.`)
      printDemoSignIns()
      return 0
    }),
}

const auditVerify: CliCommand = {
  name: 'audit verify',
  summary: 'Check the audit chain against its checkpoint; exits non-zero saying what was edited, deleted, cut off or rewritten',
  usage: 'laurel audit verify',
  run: (config) =>
    withPlatform(
      config,
      async (platform) => {
        const verdict = await verifyAuditLog(platform)
        if (verdict.ok) console.log(describeAuditVerdict(verdict))
        else console.error(describeAuditVerdict(verdict))
        return verdict.ok ? 0 : 1
      },
      // Verifying never moves the checkpoint it checks against.
      { writesAuditCheckpoints: false },
    ),
}

const keysRotate: CliCommand = {
  name: 'keys rotate',
  summary: 'Make a new data key and re-encrypt every stored secret (runs as a job)',
  usage: 'laurel keys rotate',
  run: (config) =>
    withPlatform(config, async (platform) => {
      await platform.jobs.start()
      const jobId = await platform.jobs.enqueue(platform.db, rotateKeysJob, {})
      await platform.jobs.work(platform, { only: [rotateKeysJob.name] })
      for (;;) {
        const progress = await platform.jobs.getProgress(jobId)
        if (progress?.state === 'completed') {
          console.log(`Keys rotated: ${progress.done} secrets re-encrypted; the active key is ${platform.keyring.activeKey}.`)
          return 0
        }
        if (progress?.state === 'failed') {
          console.error(`Key rotation failed: ${progress.message ?? 'see the logs'}.`)
          return 1
        }
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    }),
}

const commands: CliCommand[] = [
  serve,
  worker,
  migrate,
  demo,
  auditVerify,
  keysRotate,
  ...featureCommands.map((command) => ({
    ...command,
    run: (config: Config, args: string[]) => withPlatform(config, (platform) => command.run(platform, args)),
  })),
]

function printHelp(): void {
  console.log('Usage: laurel <command> [options]\n\nCommands:')
  for (const command of commands) console.log(`  ${command.name.padEnd(20)} ${command.summary}`)
  console.log('\nRun "laurel <command> --help" for the options of one command. Configuration comes from environment variables (see README).')
}

async function waitForShutdown(close: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      console.log('Shutting down: finishing running jobs…')
      close().then(resolve, (error) => {
        console.error(error)
        resolve()
      })
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    printHelp()
    return argv.length === 0 ? 2 : 0
  }
  const command = commands
    .filter((candidate) => argv.slice(0, candidate.name.split(' ').length).join(' ') === candidate.name)
    .sort((a, b) => b.name.length - a.name.length)[0]
  if (!command) {
    console.error(`Unknown command "${argv.join(' ')}".`)
    printHelp()
    return 2
  }
  const args = argv.slice(command.name.split(' ').length)
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`${command.summary}\n\nUsage: ${command.usage}`)
    return 0
  }
  let config: Config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message)
      return 2
    }
    throw error
  }
  return command.run(config, args)
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  },
)
