import { createPrivateKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** Every environment variable Laurel reads, with what it expects. The README's table mirrors this list. */
export const ENV_VARS = {
  PORT: 'an integer from 1 to 65535 (default 3000)',
  HOST: 'the address to listen on (default 127.0.0.1; 0.0.0.0 for all interfaces)',
  PUBLIC_URL: 'the absolute http(s) URL people reach Laurel at (default http://localhost:PORT)',
  DATA_DIR: 'a folder for the embedded database, master key and uploads (default ./data)',
  DATABASE_URL: 'a postgres:// or postgresql:// URL; when set, Laurel uses that PostgreSQL server instead of the embedded one',
  EMBEDDED_DB_PORT:
    'an integer from 1 to 65535: the embedded PostgreSQL then also listens on 127.0.0.1 at that port (default: its unix socket in DATA_DIR only)',
  REDIS_URL: 'a redis:// or rediss:// URL; when set, rate limits and sign-out notices are shared through Redis',
  SMTP_URL: 'an smtp:// or smtps:// URL; when set, mail is sent through it, otherwise it stays in the outbox',
  MAIL_FROM: 'the sender address of outgoing mail (default "Laurel <no-reply@HOSTNAME-OF-PUBLIC_URL>")',
  DKIM_DOMAIN: 'the domain that signs outgoing mail with DKIM (set with DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE, or leave all three unset)',
  DKIM_SELECTOR: 'the DKIM selector: the public key is published at SELECTOR._domainkey.DKIM_DOMAIN',
  DKIM_PRIVATE_KEY_FILE: 'a readable file holding the DKIM private key (PEM)',
  LAUREL_MASTER_KEY: '32 bytes as 64 hex characters or base64; when unset, a key is generated into DATA_DIR/master.key',
  AUDIT_CHECKPOINT_FILE: 'the file that keeps signed checkpoints of the audit chain (default DATA_DIR/audit-checkpoint.json)',
  LOG_LEVEL: 'one of fatal, error, warn, info, debug, trace, silent (default info)',
} as const

export type EnvVar = keyof typeof ENV_VARS
type Env = Partial<Record<string, string | undefined>>

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** nodemailer's DKIM options: every outgoing message is signed when set. */
export interface DkimConfig {
  domainName: string
  keySelector: string
  privateKey: string
}

export type DatabaseConfig = { kind: 'embedded'; dataDir: string; tcpPort?: number } | { kind: 'server'; url: string }

export interface Config {
  port: number
  host: string
  publicUrl: URL
  isHttps: boolean
  dataDir: string
  auditCheckpointFile: string
  database: DatabaseConfig
  redisUrl: string | undefined
  smtpUrl: string | undefined
  mailFrom: string
  dkim: DkimConfig | undefined
  masterKey: Buffer | undefined
  logLevel: LogLevel
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
  }
}

/** Turns environment variables into one validated, frozen object; throws ConfigError naming every bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = []
  const fail = (name: EnvVar, got?: string) =>
    problems.push(`${name} must be ${ENV_VARS[name]}${got === undefined || name === 'LAUREL_MASTER_KEY' ? '' : ` (got "${got}")`}`)
  const value = (name: EnvVar) => {
    const raw = env[name]?.trim()
    return raw === '' ? undefined : raw
  }

  const portText = value('PORT') ?? '3000'
  const port = Number(portText)
  if (!isPort(portText)) fail('PORT', portText)

  const host = value('HOST') ?? '127.0.0.1'

  let publicUrl = new URL(`http://localhost:${isPort(portText) ? port : 3000}`)
  const publicUrlText = value('PUBLIC_URL')
  if (publicUrlText) {
    const parsed = URL.canParse(publicUrlText) ? new URL(publicUrlText) : undefined
    if (parsed && (parsed.protocol === 'http:' || parsed.protocol === 'https:')) publicUrl = parsed
    else fail('PUBLIC_URL', publicUrlText)
  }

  const dataDir = resolve(value('DATA_DIR') ?? './data')
  const auditCheckpointFileText = value('AUDIT_CHECKPOINT_FILE')
  const auditCheckpointFile = auditCheckpointFileText ? resolve(auditCheckpointFileText) : join(dataDir, 'audit-checkpoint.json')

  const databaseUrl = value('DATABASE_URL')
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) fail('DATABASE_URL', '(hidden: it may hold a password)')

  const tcpPortText = value('EMBEDDED_DB_PORT')
  const tcpPort = tcpPortText === undefined ? undefined : Number(tcpPortText)
  if (tcpPortText !== undefined && !isPort(tcpPortText)) fail('EMBEDDED_DB_PORT', tcpPortText)

  const redisUrl = value('REDIS_URL')
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) fail('REDIS_URL', '(hidden: it may hold a password)')

  const smtpUrl = value('SMTP_URL')
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl)) fail('SMTP_URL', '(hidden: it may hold a password)')

  const mailFrom = value('MAIL_FROM') ?? `Laurel <no-reply@${publicUrl.hostname}>`

  const dkim = loadDkim(value('DKIM_DOMAIN'), value('DKIM_SELECTOR'), value('DKIM_PRIVATE_KEY_FILE'), fail)

  let masterKey: Buffer | undefined
  const masterKeyText = value('LAUREL_MASTER_KEY')
  if (masterKeyText) {
    masterKey = parseKey(masterKeyText)
    if (!masterKey) fail('LAUREL_MASTER_KEY')
  }

  const logLevel = (value('LOG_LEVEL') ?? 'info') as LogLevel
  if (!LOG_LEVELS.includes(logLevel)) fail('LOG_LEVEL', logLevel)

  if (problems.length > 0) throw new ConfigError(problems)
  const database: DatabaseConfig = databaseUrl
    ? { kind: 'server', url: databaseUrl }
    : { kind: 'embedded', dataDir, ...(tcpPort === undefined ? {} : { tcpPort }) }
  return Object.freeze({
    port,
    host,
    publicUrl,
    isHttps: publicUrl.protocol === 'https:',
    dataDir,
    auditCheckpointFile,
    database,
    redisUrl,
    smtpUrl,
    mailFrom,
    dkim,
    masterKey,
    logLevel,
  })
}

function loadDkim(
  domainName: string | undefined,
  keySelector: string | undefined,
  keyFile: string | undefined,
  fail: (name: EnvVar, got?: string) => void,
): DkimConfig | undefined {
  if (!domainName && !keySelector && !keyFile) return undefined
  if (!domainName || !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(domainName)) fail('DKIM_DOMAIN', domainName)
  if (!keySelector || !/^[a-z0-9][a-z0-9._-]*$/i.test(keySelector)) fail('DKIM_SELECTOR', keySelector)
  let privateKey: string | undefined
  try {
    privateKey = keyFile ? readFileSync(keyFile, 'utf8') : undefined
    if (privateKey) createPrivateKey(privateKey)
  } catch {
    privateKey = undefined
  }
  if (!privateKey) fail('DKIM_PRIVATE_KEY_FILE', keyFile)
  return domainName && keySelector && privateKey ? { domainName: domainName.toLowerCase(), keySelector, privateKey } : undefined
}

function isPort(text: string): boolean {
  return /^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 65535
}

function parseKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex')
  const bytes = Buffer.from(text, 'base64')
  return bytes.length === 32 ? bytes : undefined
}
