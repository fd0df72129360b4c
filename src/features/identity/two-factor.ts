import { randomBytes } from 'node:crypto'
import { and, eq, isNull } from 'drizzle-orm'
import { Secret, TOTP } from 'otpauth'
import QRCode from 'qrcode'
import { hashToken } from '../../platform/crypto/hashing.ts'
import { ConflictError, InvalidError } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import { verifyPassword } from './passwords.ts'
import { accounts, recoveryCodes } from './schema.ts'
import { type Account, getAccount } from './service.ts'

const RECOVERY_CODE_COUNT = 10

function totpFor(account: Account, secretBase32: string): TOTP {
  return new TOTP({ issuer: 'Laurel', label: account.email, secret: Secret.fromBase32(secretBase32), digits: 6, period: 30 })
}

export interface TotpEnrollment {
  secret: string
  uri: string
  qrCodeSvg: string
}

/** Starts enrolment: stores a new secret (encrypted) that is not yet in force, and returns it for the authenticator app. */
export async function startTotpEnrollment(platform: Platform, accountId: string): Promise<TotpEnrollment> {
  const account = await getAccount(platform.db, accountId)
  if (account.totpEnabledAt) throw new ConflictError('totp_already_enabled', 'Two-factor sign-in is already on.')
  const secret = new Secret({ size: 20 }).base32
  await platform.db
    .update(accounts)
    .set({ totpSecret: platform.keyring.encrypt(secret) })
    .where(eq(accounts.id, accountId))
  const uri = totpFor(account, secret).toString()
  return { secret, uri, qrCodeSvg: await QRCode.toString(uri, { type: 'svg', margin: 1 }) }
}

/** Turns two-factor sign-in on once the person proves their app works; returns recovery codes to show once. */
export async function confirmTotpEnrollment(platform: Platform, accountId: string, code: string): Promise<string[]> {
  const account = await getAccount(platform.db, accountId)
  if (account.totpEnabledAt) throw new ConflictError('totp_already_enabled', 'Two-factor sign-in is already on.')
  if (!account.totpSecret) throw new InvalidError('totp_not_started', 'Start setting up two-factor sign-in first.')
  const secret = await platform.keyring.decrypt(account.totpSecret)
  if (!isTotpCodeValid(platform, account, secret, code)) {
    throw new InvalidError('wrong_code', 'That code is not right. Check the time on your device and try the current code.', { code: 'Wrong code.' })
  }
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => formatRecoveryCode(randomBytes(8).toString('hex')))
  await platform.db.transaction(async (tx) => {
    await tx.update(accounts).set({ totpEnabledAt: platform.clock.now() }).where(eq(accounts.id, accountId))
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.accountId, accountId))
    await tx.insert(recoveryCodes).values(codes.map((recoveryCode) => ({ accountId, codeHash: hashToken(normalizeRecoveryCode(recoveryCode)) })))
    await platform.audit.recordIn(tx, { action: 'identity.totp_enabled', actorAccountId: accountId, target: accountId })
  })
  return codes
}

export async function disableTotp(platform: Platform, accountId: string, password: string): Promise<void> {
  const account = await getAccount(platform.db, accountId)
  if (!(await verifyPassword(account.passwordHash, password))) {
    throw new InvalidError('wrong_password', 'Your password is not correct.', { password: 'Your password is not correct.' })
  }
  await platform.db.transaction(async (tx) => {
    await tx.update(accounts).set({ totpSecret: null, totpEnabledAt: null }).where(eq(accounts.id, accountId))
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.accountId, accountId))
    await platform.audit.recordIn(tx, { action: 'identity.totp_disabled', actorAccountId: accountId, target: accountId })
  })
}

/** Accepts a current TOTP code or an unused recovery code (which is then used up). */
export async function verifySecondFactor(platform: Platform, accountId: string, code: string): Promise<Account | undefined> {
  const account = await getAccount(platform.db, accountId)
  if (!account.totpEnabledAt || !account.totpSecret) return undefined
  const trimmed = code.replace(/\s/g, '')
  if (/^\d{6}$/.test(trimmed)) {
    return isTotpCodeValid(platform, account, await platform.keyring.decrypt(account.totpSecret), trimmed) ? account : undefined
  }
  const used = await platform.db
    .update(recoveryCodes)
    .set({ usedAt: platform.clock.now() })
    .where(and(eq(recoveryCodes.accountId, accountId), eq(recoveryCodes.codeHash, hashToken(normalizeRecoveryCode(trimmed))), isNull(recoveryCodes.usedAt)))
    .returning({ id: recoveryCodes.id })
  return used.length > 0 ? account : undefined
}

export async function countUnusedRecoveryCodes(platform: Platform, accountId: string): Promise<number> {
  const rows = await platform.db
    .select({ id: recoveryCodes.id })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.accountId, accountId), isNull(recoveryCodes.usedAt)))
  return rows.length
}

/** The code an authenticator app shows right now; for tests and the demo. */
export function currentTotpCode(secretBase32: string, at: Date): string {
  return TOTP.generate({ secret: Secret.fromBase32(secretBase32), timestamp: at.getTime() })
}

function isTotpCodeValid(platform: Platform, account: Account, secret: string, code: string): boolean {
  return totpFor(account, secret).validate({ token: code.replace(/\s/g, ''), timestamp: platform.clock.now().getTime(), window: 1 }) !== null
}

function formatRecoveryCode(hex: string): string {
  return `${hex.slice(0, 4)}-${hex.slice(4, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}`
}

function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[^0-9a-f]/g, '')
}
