/**
 * The crash test's first Laurel process: what `laurel serve` runs (web server and worker, sweeper
 * included), plus one thing a browser would do: reads one JSON line on stdin naming the org, the
 * user, their portal credentials and the exam sessions, and starts a create run exactly as the
 * "Confirm" of the run preview does, with the user's portal access. Prints {"runId": …}.
 */
import { createInterface } from 'node:readline'
import { buildApp, startPlatform, startWorker } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { connectorFor, getPortalConnection } from '../../src/features/exams/portal/connection.ts'
import { startPortalRun } from '../../src/features/exams/portal/runs.ts'
import { createLogger } from '../../src/platform/log.ts'

interface StartCommand {
  orgId: string
  accountId: string
  examSessionIds: string[]
  username: string
  password: string
}

const config = loadConfig()
const platform = await startPlatform(config, { log: createLogger(config.logLevel) })
const app = await buildApp(platform)
await app.listen({ port: config.port, host: config.host })
await platform.jobs.start()
await startWorker(platform)
process.stdout.write(`${JSON.stringify({ ready: true })}\n`)

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as StartCommand
  const scope = { orgId: command.orgId, accountId: command.accountId, role: 'owner' as const }
  const connection = await getPortalConnection(platform, command.orgId)
  if (!connection) throw new Error('No portal connection.')
  const connector = connectorFor(platform, connection)
  const login = await connector.login(command.username, command.password)
  const access = { connection, connector, actor: login.actor, token: login.token, credentials: { username: command.username, password: command.password } }
  const run = await startPortalRun(platform, scope, access, { action: 'create', examSessionIds: command.examSessionIds })
  await connector.logout(login.token)
  process.stdout.write(`${JSON.stringify({ runId: run.id })}\n`)
}
