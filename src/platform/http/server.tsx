import { hkdfSync } from 'node:crypto'
import fastifyCookie from '@fastify/cookie'
import fastifyCsrf from '@fastify/csrf-protection'
import fastifyFormbody from '@fastify/formbody'
import fastifyMultipart from '@fastify/multipart'
import fastifyRateLimit from '@fastify/rate-limit'
import fastifyStatic from '@fastify/static'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { Children } from '@kitajs/html'
import { sql } from 'drizzle-orm'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify'
import { Type } from 'typebox'
import type { Feature, SignOutHandler } from '../feature.ts'
import { installI18n } from '../i18n/http.ts'
import { projectPath } from '../paths.ts'
import type { Platform } from '../platform.ts'
import { type Flash, Layout, type Navigation } from '../ui/layout.tsx'
import type { OrgNavItem } from '../ui/navigation.ts'
import { platformPages } from './admin-pages.tsx'
import { createErrorHandler, type Problem, problemFor, sendProblem } from './errors.ts'
import type { UploadedFile } from './forms.ts'
import { installRequestChecks, isOneClickPost } from './request-checks.ts'
import { contentSecurityPolicy, installSecurityHeaders } from './security-headers.ts'

export interface PageOptions {
  status?: number
  orgId?: string
  /** Extra <head> elements, e.g. Open Graph meta tags. */
  head?: Children
}

export type NavigationProvider = (request: FastifyRequest, orgId: string | undefined) => Promise<Navigation>

declare module 'fastify' {
  interface FastifyInstance {
    platform: Platform
    ui: {
      navigation: NavigationProvider
      /** Every feature's org navigation items, in feature order. */
      orgNavItems: OrgNavItem[]
    }
    /** Every route registered, for the API docs and the cross-org test. */
    routeTable: { method: string; url: string }[]
    /** Every feature's `onSignOut`, in feature order. */
    signOutHandlers: SignOutHandler[]
  }
  interface FastifyReply {
    /** Renders a full page in the layout (navigation, flash message, CSRF token). */
    page(title: string, body: Children, options?: PageOptions): Promise<FastifyReply>
    /** The CSRF token for forms on this response (one per response: the secret cookie is set once). */
    csrfToken(): string
    /** Shows a message on the next page this browser renders. */
    flash(kind: Flash['kind'], text: string): FastifyReply
  }
  interface FastifyContextConfig {
    /** Marks a route that is not subject to per-request audit logging (health checks, assets). */
    skipAudit?: boolean
    /**
     * A public page about a person that promises to store no visitor's IP address: a signed-in
     * visitor's request is audited without their IP address and user agent.
     */
    keepsNoVisitorAddress?: boolean
  }
}

const FLASH_COOKIE = 'laurel_flash'
const ASSETS = projectPath('src/platform/ui/assets')
const nodeModule = (path: string) => projectPath('node_modules', path)
const SWAGGER_UI_LOGO_STYLE = 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='

const ReadyResponse = Type.Object({ status: Type.String(), database: Type.String(), jobs: Type.String() })

export const AUTH_RATE_LIMIT = { max: 20, timeWindow: '1 minute' }
export const API_RATE_LIMIT = { max: 600, timeWindow: '1 minute' }

/** Builds the Fastify app: security plugins, assets, API docs, error pages, then every feature. */
export async function buildServer(platform: Platform, features: Feature[]): Promise<FastifyInstance> {
  const { config } = platform
  const app = Fastify({
    loggerInstance: platform.log as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { keywords: ['errorMessage'] } },
    // Signed tokens in paths (one-click unsubscribe links name an address) are longer than the default 100;
    // each route's schema still caps its own parameters.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
  })

  app.decorate('platform', platform)
  app.decorate('routeTable', [])
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') app.routeTable.push({ method, url: route.url })
  })
  app.decorate('ui', { navigation: defaultNavigation, orgNavItems: features.flatMap((feature) => feature.navigation ?? []) })
  app.decorate(
    'signOutHandlers',
    features.flatMap((feature) => (feature.onSignOut ? [feature.onSignOut] : [])),
  )
  app.decorateRequest('auth', null)

  installSecurityHeaders(app, { isHttps: config.isHttps })
  const cookieSecret = Buffer.from(hkdfSync('sha256', platform.masterKey, Buffer.alloc(0), 'laurel cookies v1', 32)).toString('hex')
  await app.register(fastifyCookie, { secret: cookieSecret })
  installI18n(app, { isHttps: config.isHttps })
  await app.register(fastifyFormbody, { bodyLimit: 256 * 1024 })
  // Multipart fields land in request.body before preHandlers run, so the CSRF check sees `_csrf`;
  // files become { fileName, data } (limit: 10 MB, one file per form).
  await app.register(fastifyMultipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: 10 * 1024 * 1024, files: 1, fields: 50 },
    async onFile(part) {
      const file: UploadedFile = { fileName: part.filename, data: await part.toBuffer() }
      ;(part as unknown as { value: UploadedFile }).value = file
    },
  })
  await app.register(fastifyCsrf, {
    cookieKey: 'laurel_csrf',
    cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, secure: config.isHttps, signed: true },
    getToken: (request) => (request.body as { _csrf?: string } | undefined)?._csrf ?? (request.headers['x-csrf-token'] as string | undefined),
  })
  await app.register(fastifyRateLimit, {
    global: false,
    ...(platform.redis ? { redis: platform.redis, nameSpace: 'laurel-rate-limit:' } : {}),
  })
  await app.register(fastifyStatic, { root: ASSETS, prefix: '/assets/', maxAge: '1h' })
  await app.register(fastifyStatic, { root: nodeModule('htmx.org/dist'), prefix: '/assets/htmx/', decorateReply: false, maxAge: '1d' })
  await app.register(fastifyStatic, { root: nodeModule('@picocss/pico/css'), prefix: '/assets/pico/', decorateReply: false, maxAge: '1d' })
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Laurel API', version: '1', description: 'Send a personal API key as `Authorization: Bearer <key>`.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    hideUntagged: true,
  })
  // Swagger UI's top bar draws its logo with one inline <style> (swagger-ui-standalone-preset.js); its
  // pages allow exactly that style, by its hash, and are otherwise under the policy of every page.
  const docsPolicy = contentSecurityPolicy({ isHttps: config.isHttps, styleHashes: [SWAGGER_UI_LOGO_STYLE] })
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs', transformStaticCSP: () => docsPolicy })

  const renderErrorPage = async (_request: FastifyRequest, reply: FastifyReply, problem: Problem) =>
    reply.page(
      problem.title,
      <section class="error-page">
        <h1 safe>{problem.title}</h1>
        <p safe>{problem.detail}</p>
        <p>
          <a href="/">Go to the start page</a>
        </p>
      </section>,
      { status: problem.status },
    )

  const csrfTokens = new WeakMap<FastifyReply, string>()
  app.decorateReply('csrfToken', function (this: FastifyReply) {
    let token = csrfTokens.get(this)
    if (!token) {
      token = this.generateCsrf()
      csrfTokens.set(this, token)
    }
    return token
  })
  app.decorateReply('flash', function (this: FastifyReply, kind: Flash['kind'], text: string) {
    return this.setCookie(FLASH_COOKIE, JSON.stringify({ kind, text }), { path: '/', httpOnly: true, sameSite: 'lax', signed: true, secure: config.isHttps })
  })
  app.decorateReply('page', async function (this: FastifyReply, title: string, body: Children, options: PageOptions = {}) {
    const request = this.request
    const flash = readFlash(request, this)
    const navigation = await app.ui.navigation(request, options.orgId).catch(() => defaultNavigation(request))
    const { locale, dir } = request.messages
    const html = await (
      <Layout title={title} lang={locale} dir={dir} navigation={navigation} csrfToken={this.csrfToken()} flash={flash} head={options.head}>
        {body}
      </Layout>
    )
    return this.status(options.status ?? this.statusCode)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(html)
  })

  app.setErrorHandler(createErrorHandler(renderErrorPage))
  app.setNotFoundHandler({ preHandler: app.rateLimit({ max: 120, timeWindow: '1 minute' }) }, (request, reply) =>
    sendProblem(request, reply, problemFor(404, request, 'not_found', `There is nothing at ${request.url.split('?')[0]}.`), renderErrorPage),
  )

  installRequestChecks(app, { publicOrigin: config.publicUrl.origin })
  // Forms also need a CSRF token. Bearer-key requests carry no cookies to forge, and JSON calls from another
  // site are refused by the origin check above (and cannot be sent without a CORS preflight, never granted).
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return done()
    if (request.headers.authorization?.startsWith('Bearer ')) return done()
    if (request.headers['content-type']?.startsWith('application/json')) return done()
    if (isOneClickPost(request)) return done()
    app.csrfProtection(request, reply, done)
  })

  app.addHook('onResponse', async (request, reply) => {
    const auth = request.auth
    const { skipAudit, keepsNoVisitorAddress } = request.routeOptions.config
    if (!auth || skipAudit) return
    platform.audit.record({
      action: request.url.startsWith('/api/') ? 'http.api_request' : 'http.page_request',
      actorAccountId: auth.accountId,
      orgId: auth.apiKey?.orgId ?? null,
      data: { method: request.method, path: request.url.split('?')[0], status: reply.statusCode },
      ip: keepsNoVisitorAddress ? null : request.ip,
      userAgent: keepsNoVisitorAddress ? null : (request.headers['user-agent'] ?? null),
    })
  })

  app.get('/health', { config: { skipAudit: true }, schema: { hide: true } }, async () => ({ status: 'ok' }))
  app.get('/ready', { config: { skipAudit: true }, schema: { hide: true, response: { 200: ReadyResponse, 503: ReadyResponse } } }, async (_request, reply) => {
    // A query on one of Laurel's own tables, as requests make them: a database that answers `select 1`
    // but has lost its tables, or whose session cannot see them, is not ready.
    const database = await platform.db.execute(sql`select count(*) from (select 1 from accounts limit 1) as one`).then(
      () => 'ok',
      () => 'unreachable',
    )
    const jobs = await platform.db.execute(sql`select 1 from pgboss.version`).then(
      () => 'ok',
      () => 'unreachable',
    )
    const isReady = database === 'ok' && jobs === 'ok'
    return reply.status(isReady ? 200 : 503).send({ status: isReady ? 'ready' : 'not ready', database, jobs })
  })

  for (const feature of features) feature.setup?.(app)
  await app.register(platformPages)
  for (const feature of features) if (feature.routes) await app.register(feature.routes)
  return app
}

async function defaultNavigation(request: FastifyRequest): Promise<Navigation> {
  const auth = request.auth
  return {
    account: auth ? { name: auth.name, email: auth.email, isPlatformAdmin: auth.isPlatformAdmin } : null,
    orgs: [],
    currentOrg: null,
    orgNav: null,
  }
}

function readFlash(request: FastifyRequest, reply: FastifyReply): Flash | null {
  const raw = request.cookies[FLASH_COOKIE]
  if (!raw) return null
  reply.clearCookie(FLASH_COOKIE, { path: '/' })
  const unsigned = request.unsignCookie(raw)
  if (!unsigned.valid || !unsigned.value) return null
  try {
    return JSON.parse(unsigned.value) as Flash
  } catch {
    return null
  }
}
