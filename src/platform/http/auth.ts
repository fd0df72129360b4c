import type { FastifyReply, FastifyRequest } from 'fastify'
import { ForbiddenError, UnauthorizedError } from '../errors.ts'

/** Who is making a request: set by the identity feature from a login-session cookie or an API key. */
export interface RequestAuth {
  accountId: string
  email: string
  name: string
  isPlatformAdmin: boolean
  /** The person's chosen language (Account page); null: decided per page (see resolveLocale). */
  locale: string | null
  loginSessionId: string | null
  apiKey: { id: string; orgId: string; scope: 'read' | 'write' } | null
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: RequestAuth | null
  }
}

export function isApiRequest(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/')
}

/** A preHandler: pages redirect to sign-in (coming back afterwards), the API answers 401. */
export async function requireSignedIn(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.auth) return
  if (isApiRequest(request)) throw new UnauthorizedError('unauthenticated', 'Sign in or send an API key as a Bearer token.')
  const next = request.method === 'GET' ? request.url : '/'
  return reply.redirect(`/sign-in?next=${encodeURIComponent(next)}`)
}

export async function requirePlatformAdmin(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  await requireSignedIn(request, reply)
  if (reply.sent) return
  if (!request.auth?.isPlatformAdmin) throw new ForbiddenError('platform_admin_required', 'Only platform administrators can do this.')
}

export function signedInAuth(request: FastifyRequest): RequestAuth {
  if (!request.auth) throw new UnauthorizedError('unauthenticated', 'Sign in first.')
  return request.auth
}
