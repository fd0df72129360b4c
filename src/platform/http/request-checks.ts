import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ForbiddenError, MalformedError } from '../errors.ts'
import { controlCharacterIn } from '../text.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A POST anyone may send from anywhere, with no login session and no CSRF token, because its URL carries
     * its own signed proof and it only ever withdraws something: RFC 8058 one-click unsubscribe, which mail
     * clients send from their own servers. Exempt from the cross-site check here and from CSRF (server.tsx).
     */
    isOneClickPost?: boolean
  }
}

/** True for a POST to a one-click route (see `isOneClickPost`); nothing else is exempt. */
export const isOneClickPost = (request: FastifyRequest) => request.method === 'POST' && request.routeOptions.config?.isOneClickPost === true

/**
 * Checks every request at the edge, before any route or service sees it.
 *
 * Refuses, before its body is read, a state-changing request that a browser sent from another site,
 * whatever its content type: a login-session cookie rides along with such a request, so this guards a
 * cookie-authenticated JSON call as well as a form, without resting on the CORS preflight we never grant.
 * Bearer API-key requests carry nothing a browser adds by itself and are not checked.
 *
 * Refuses, with a 400 naming the field, path parameters, a query string or a body (JSON, form or
 * multipart fields) holding a control character (see `controlCharacterIn`) in any text or key.
 */
export function installRequestChecks(app: FastifyInstance, options: { publicOrigin: string }): void {
  app.addHook('onRequest', async (request) => {
    if (SAFE_METHODS.has(request.method) || request.headers.authorization?.startsWith('Bearer ') || isOneClickPost(request)) return
    if (isCrossSite(request, options.publicOrigin)) {
      throw new ForbiddenError('cross_site_request', 'This request came from another site. Open Laurel at its own address and try again.')
    }
  })
  app.addHook('preValidation', async (request) => {
    for (const part of [request.params, request.query, request.body]) {
      const found = findControlCharacter(part, '')
      if (!found) continue
      const field = found.field || 'body'
      throw new MalformedError('control_character', `The field ${field} contains a control character (${found.character}). Remove it and send again.`, {
        [field]: `Remove the control character (${found.character}).`,
      })
    }
  })
}

/** The first text or key in a parsed request part holding a control character, and the dotted path of its field. */
function findControlCharacter(value: unknown, path: string): { field: string; character: string } | undefined {
  if (typeof value === 'string') {
    const character = controlCharacterIn(value)
    return character ? { field: path, character } : undefined
  }
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return undefined
  for (const [key, item] of Object.entries(value)) {
    const keyCharacter = controlCharacterIn(key)
    if (keyCharacter) return { field: [path, JSON.stringify(key)].filter(Boolean).join('.'), character: keyCharacter }
    const found = findControlCharacter(item, [path, key].filter(Boolean).join('.'))
    if (found) return found
  }
  return undefined
}

/**
 * Go's CrossOriginProtection rule: Sec-Fetch-Site decides where the browser sends it (every current one
 * does); otherwise the Origin header, which is ours when it is PUBLIC_URL's origin or names the host the
 * request was sent to (a browser sets Host itself, so another site cannot make the two agree); `null`
 * is not ours. A client that sends neither header is no browser acting for a page.
 */
function isCrossSite(request: FastifyRequest, publicOrigin: string): boolean {
  const site = request.headers['sec-fetch-site']
  if (site !== undefined) return site !== 'same-origin' && site !== 'none'
  const origin = request.headers.origin
  if (origin === undefined || origin === publicOrigin) return false
  return !URL.canParse(origin) || new URL(origin).host !== request.host
}
