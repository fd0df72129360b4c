import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ForbiddenError } from '../errors.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Refuses, before its body is read, a state-changing request that a browser sent from another site,
 * whatever its content type: a login-session cookie rides along with such a request, so this guards a
 * cookie-authenticated JSON call as well as a form, without resting on the CORS preflight we never grant.
 * Bearer API-key requests carry nothing a browser adds by itself and are not checked.
 */
export function installRequestChecks(app: FastifyInstance, options: { publicOrigin: string }): void {
  app.addHook('onRequest', async (request) => {
    if (SAFE_METHODS.has(request.method) || request.headers.authorization?.startsWith('Bearer ')) return
    if (isCrossSite(request, options.publicOrigin)) {
      throw new ForbiddenError('cross_site_request', 'This request came from another site. Open Laurel at its own address and try again.')
    }
  })
}

/**
 * Fetch Metadata where the browser sends it; otherwise the Origin header, which is ours when it is
 * PUBLIC_URL's origin or names the host the request was sent to (a browser sets Host itself, so another
 * site cannot make the two agree). Clients that send neither header are not browsers acting for a page.
 */
function isCrossSite(request: FastifyRequest, publicOrigin: string): boolean {
  const site = request.headers['sec-fetch-site']
  if (site === 'cross-site' || site === 'same-site') return true
  const origin = request.headers.origin
  if (origin === undefined || origin === publicOrigin) return false
  return !URL.canParse(origin) || new URL(origin).host !== request.host
}
