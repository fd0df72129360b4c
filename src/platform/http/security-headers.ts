import type { FastifyInstance } from 'fastify'

/**
 * The security headers of every response, computed once. This replaces @fastify/helmet, which
 * rebuilds its header set on each request (about 16% of a /health request in our profile) for the
 * same fixed result. No inline script or style is allowed anywhere but the one style the API docs
 * allow by its hash (server.tsx): htmx runs with its indicator styles off and every page uses
 * external assets only.
 */
export function installSecurityHeaders(app: FastifyInstance, options: { isHttps: boolean }): void {
  const headers: Record<string, string> = {
    'content-security-policy': contentSecurityPolicy(options),
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    // Not no-referrer: under it browsers send `Origin: null` even with our own forms, and those without
    // Sec-Fetch-Site would then fail the cross-site check (request-checks.ts). Other sites still get nothing.
    'referrer-policy': 'same-origin',
    'x-content-type-options': 'nosniff',
    'x-dns-prefetch-control': 'off',
    'x-frame-options': 'DENY',
    'x-permitted-cross-domain-policies': 'none',
    ...(options.isHttps ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  }
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
    done()
  })
}

/** The Content-Security-Policy of every page; `styleHashes` allow inline <style> elements with exactly that content. */
export function contentSecurityPolicy(options: { isHttps: boolean; styleHashes?: string[] }): string {
  return [
    "default-src 'self'",
    "base-uri 'self'",
    "connect-src 'self'",
    "font-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "img-src 'self' data:",
    "object-src 'none'",
    "script-src 'self'",
    "script-src-attr 'none'",
    ["style-src 'self'", ...(options.styleHashes ?? []).map((hash) => `'${hash}'`)].join(' '),
    ...(options.isHttps ? ['upgrade-insecure-requests'] : []),
  ].join(';')
}
