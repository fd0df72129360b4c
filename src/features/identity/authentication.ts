import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ForbiddenError, UnauthorizedError } from '../../platform/errors.ts'
import { resolveApiKey } from './api-keys.ts'
import { LOGIN_SESSION_COOKIE, resolveLoginSession } from './login-sessions.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** A login session whose password was checked but whose second factor is still due. */
    pendingLoginSession: { loginSessionId: string; accountId: string } | null
  }
}

const UNAUTHENTICATED_PREFIXES = ['/assets/', '/health', '/ready']

/** Sets `request.auth` from a Bearer API key or the login-session cookie, before any route runs. */
export function installAuthentication(app: FastifyInstance): void {
  const { platform } = app
  app.decorateRequest('pendingLoginSession', null)
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (UNAUTHENTICATED_PREFIXES.some((prefix) => request.url.startsWith(prefix))) return
    const authorization = request.headers.authorization
    if (authorization) {
      const [scheme, secret] = authorization.split(' ')
      if (scheme !== 'Bearer' || !secret) throw new UnauthorizedError('invalid_authorization', 'Send the API key as "Authorization: Bearer <key>".')
      const row = await resolveApiKey(platform, secret)
      if (!row) throw new UnauthorizedError('invalid_api_key', 'This API key is unknown or revoked.')
      const isReadOnly = request.method === 'GET' || request.method === 'HEAD'
      if (row.apiKey.scope === 'read' && !isReadOnly)
        throw new ForbiddenError('read_only_api_key', 'This API key may only read. Create a key with write access.')
      request.auth = {
        accountId: row.account.id,
        email: row.account.email,
        name: row.account.name,
        isPlatformAdmin: false,
        locale: row.account.locale,
        loginSessionId: null,
        apiKey: { id: row.apiKey.id, orgId: row.apiKey.orgId, scope: row.apiKey.scope },
      }
      return
    }
    const token = request.cookies[LOGIN_SESSION_COOKIE]
    if (!token) return
    const resolved = await resolveLoginSession(platform, token)
    if (!resolved) return
    const { loginSession, account } = resolved
    if (loginSession.isPendingSecondFactor) {
      request.pendingLoginSession = { loginSessionId: loginSession.id, accountId: account.id }
      return
    }
    request.auth = {
      accountId: account.id,
      email: account.email,
      name: account.name,
      isPlatformAdmin: account.isPlatformAdmin,
      locale: account.locale,
      loginSessionId: loginSession.id,
      apiKey: null,
    }
  })
}
