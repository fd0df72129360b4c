import type { FastifyInstance, FastifyRequest } from 'fastify'
import { isLocale, type Locale } from './locales.ts'
import { type Messages, messagesFor } from './messages.ts'
import { resolveLocale } from './resolve.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The reader's messages, in the locale `resolveLocale` picks for this request. */
    readonly messages: Messages
    /**
     * Gives this page its own default locale (its credential's, or its org's), which an explicit choice and
     * the person's preference still override; returns the messages the page then uses, as `messages` does.
     */
    preferLocale(locale: string | null | undefined): Messages
  }
}

/** Remembers a language picked with `?lang=` for visitors who are not signed in. */
export const LANGUAGE_COOKIE = 'laurel_lang'
const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60

function localeOf(request: FastifyRequest, pageDefault?: string | null): Locale {
  const picked = (request.query as { lang?: unknown } | undefined)?.lang
  return resolveLocale({
    chosen: isLocale(picked) ? picked : request.cookies[LANGUAGE_COOKIE],
    account: request.auth?.locale,
    pageDefault,
    acceptLanguage: request.headers['accept-language'],
  })
}

export function installI18n(app: FastifyInstance, options: { isHttps: boolean }): void {
  const resolved = new WeakMap<FastifyRequest, Messages>()
  app.decorateRequest('messages', {
    getter(this: FastifyRequest) {
      let messages = resolved.get(this)
      if (!messages) {
        messages = messagesFor(localeOf(this))
        resolved.set(this, messages)
      }
      return messages
    },
  })
  app.decorateRequest('preferLocale', function (this: FastifyRequest, locale: string | null | undefined) {
    const messages = messagesFor(localeOf(this, locale))
    resolved.set(this, messages)
    return messages
  })
  app.addHook('onRequest', async (request, reply) => {
    const picked = (request.query as { lang?: unknown } | undefined)?.lang
    if (isLocale(picked) && picked !== request.cookies[LANGUAGE_COOKIE]) {
      reply.setCookie(LANGUAGE_COOKIE, picked, { path: '/', sameSite: 'lax', httpOnly: true, secure: options.isHttps, maxAge: ONE_YEAR_SECONDS })
    }
  })
}
