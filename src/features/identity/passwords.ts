import { hash, verify } from '@node-rs/argon2'
import { dictionary } from '@zxcvbn-ts/language-common'

export const MIN_PASSWORD_LENGTH = 12
const MAX_PASSWORD_LENGTH = 256

// argon2id with OWASP's recommended floor (19 MiB, 2 passes).
const ARGON2_OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

let commonPasswords: Set<string> | undefined

function isCommon(password: string): boolean {
  commonPasswords ??= new Set((dictionary as Record<string, string[]>)['passwords-common'] ?? [])
  const lower = password.toLowerCase()
  // "password2024!" is as weak as "password": also check with trailing digits and symbols removed.
  const stem = lower.replace(/[\d\W_]+$/, '')
  return commonPasswords.has(lower) || (stem.length >= 4 && commonPasswords.has(stem))
}

/** Says what is wrong with a new password, or returns undefined when it is acceptable. */
export function checkPasswordRules(password: string, context: { email?: string; name?: string } = {}): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters.`
  if (password.length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`
  if (new Set(password).size < 4) return 'Use more different characters.'
  if (isCommon(password)) return 'This password is among the most commonly used ones; choose another.'
  const lower = password.toLowerCase()
  const emailName = context.email?.split('@')[0]?.toLowerCase()
  if (emailName && emailName.length >= 4 && lower.includes(emailName)) return 'Do not use your email address in your password.'
  if (context.name && context.name.length >= 4 && lower.includes(context.name.toLowerCase())) return 'Do not use your name in your password.'
  return undefined
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS)
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password)
  } catch {
    return false
  }
}

let dummyHash: Promise<string> | undefined

/** Spends the same time as a real check when there is no account, so timing does not reveal which emails exist. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword('laurel-dummy-password-for-timing')
  await verifyPassword(await dummyHash, password)
  return false
}
