import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { UnauthorizedError } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import { ABSOLUTE_TIMEOUT_MS } from './login-sessions.ts'
import { loginSessionSecrets } from './schema.ts'

/*
 * A secret held for one login session only, split in two: the server stores the AES-256-GCM
 * ciphertext, the user's browser holds the key in an HttpOnly cookie. Neither half alone reveals
 * it; deleting the login session (sign-out, expiry) deletes the ciphertext with it.
 */

const IV_BYTES = 12
const TAG_BYTES = 16

const keyCookieName = (purpose: string) => `laurel_key_${purpose}`

function loginSessionOf(request: FastifyRequest): string {
  const loginSessionId = request.auth?.loginSessionId
  if (!loginSessionId) throw new UnauthorizedError('login_session_required', 'Sign in with a password first; API keys cannot hold session secrets.')
  return loginSessionId
}

const additionalData = (loginSessionId: string, purpose: string) => Buffer.from(`${loginSessionId}:${purpose}`)

/** Encrypts `value` under a fresh key, stores the ciphertext for this login session and sets the key cookie. */
export async function keepSessionSecret(platform: Platform, request: FastifyRequest, reply: FastifyReply, purpose: string, value: string): Promise<void> {
  const loginSessionId = loginSessionOf(request)
  const key = randomBytes(32)
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(additionalData(loginSessionId, purpose))
  const ciphertext = Buffer.concat([iv, cipher.update(value, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64url')
  await platform.db
    .insert(loginSessionSecrets)
    .values({ loginSessionId, purpose, ciphertext })
    .onConflictDoUpdate({ target: [loginSessionSecrets.loginSessionId, loginSessionSecrets.purpose], set: { ciphertext, createdAt: platform.clock.now() } })
  reply.setCookie(keyCookieName(purpose), key.toString('base64url'), {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: platform.config.isHttps,
    maxAge: ABSOLUTE_TIMEOUT_MS / 1000,
  })
}

/** The secret, or null when this login session holds none or the browser no longer has its key. */
export async function readSessionSecret(platform: Platform, request: FastifyRequest, purpose: string): Promise<string | null> {
  const loginSessionId = request.auth?.loginSessionId
  const key = request.cookies[keyCookieName(purpose)]
  if (!loginSessionId || !key) return null
  const [row] = await platform.db
    .select({ ciphertext: loginSessionSecrets.ciphertext })
    .from(loginSessionSecrets)
    .where(and(eq(loginSessionSecrets.loginSessionId, loginSessionId), eq(loginSessionSecrets.purpose, purpose)))
  if (!row) return null
  const sealed = Buffer.from(row.ciphertext, 'base64url')
  try {
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(key, 'base64url'), sealed.subarray(0, IV_BYTES))
    decipher.setAAD(additionalData(loginSessionId, purpose))
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8')
  } catch {
    return null
  }
}

/** Deletes both halves: the stored ciphertext and the key cookie. */
export async function dropSessionSecret(platform: Platform, request: FastifyRequest, reply: FastifyReply, purpose: string): Promise<void> {
  const loginSessionId = request.auth?.loginSessionId
  if (loginSessionId) {
    await platform.db.delete(loginSessionSecrets).where(and(eq(loginSessionSecrets.loginSessionId, loginSessionId), eq(loginSessionSecrets.purpose, purpose)))
  }
  reply.clearCookie(keyCookieName(purpose), { path: '/' })
}
