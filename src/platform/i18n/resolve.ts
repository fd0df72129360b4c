import { DEFAULT_LOCALE, isLocale, LOCALES, type Locale } from './locales.ts'

export interface LocaleSources {
  /** A language picked on a page (`?lang=`, then remembered in a cookie). */
  chosen?: string | undefined
  /** The signed-in person's preference (Account page). */
  account?: string | null | undefined
  /** The page's own default: its credential's locale, or its org's default locale. */
  pageDefault?: string | null | undefined
  /** The browser's Accept-Language header. */
  acceptLanguage?: string | undefined
}

/** The first of: the chosen language, the person's preference, the page's default, the browser's languages, English. */
export function resolveLocale(sources: LocaleSources): Locale {
  for (const candidate of [sources.chosen, sources.account, sources.pageDefault]) if (isLocale(candidate)) return candidate
  return bestAcceptedLocale(sources.acceptLanguage) ?? DEFAULT_LOCALE
}

/** The supported locale a browser ranks highest (`fr-CA;q=0.9` counts as `fr`); undefined when none is. */
export function bestAcceptedLocale(header: string | undefined): Locale | undefined {
  if (!header) return undefined
  const ranked = header
    .split(',')
    .slice(0, 20)
    .map((entry, position) => {
      const [tag = '', ...parameters] = entry.trim().split(';')
      const quality = parameters.map((parameter) => /^\s*q=([0-9.]+)\s*$/.exec(parameter)?.[1]).find(Boolean)
      return { language: tag.trim().toLowerCase().split('-')[0] ?? '', quality: quality === undefined ? 1 : Number(quality), position }
    })
    .filter((entry) => entry.quality > 0 && (LOCALES as readonly string[]).includes(entry.language))
    .sort((a, b) => b.quality - a.quality || a.position - b.position)
  return ranked[0]?.language as Locale | undefined
}
