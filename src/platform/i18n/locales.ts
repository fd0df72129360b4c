import { Type } from 'typebox'

/** The languages Laurel speaks; English is the source every catalogue translates. */
export const LOCALES = ['en', 'fr', 'es', 'de', 'ja', 'ar'] as const
export type Locale = (typeof LOCALES)[number]
export const DEFAULT_LOCALE: Locale = 'en'

/** Each language named in itself, as a picker shows it. */
export const LOCALE_NAMES: Record<Locale, string> = {
  en: 'English',
  fr: 'Français',
  es: 'Español',
  de: 'Deutsch',
  ja: '日本語',
  ar: 'العربية',
}

/** The tag Intl formats with: Laurel writes British English, so English dates read "5 March 2026". */
export const INTL_TAGS: Record<Locale, string> = { en: 'en-GB', fr: 'fr', es: 'es', de: 'de', ja: 'ja', ar: 'ar' }

const RIGHT_TO_LEFT = new Set<Locale>(['ar'])

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value)
}

export function dirOf(locale: Locale): 'ltr' | 'rtl' {
  return RIGHT_TO_LEFT.has(locale) ? 'rtl' : 'ltr'
}

/** A locale in a request body or form; `allowEmpty` also accepts '' ("no choice": decided per page). */
export function LocaleSchema<AllowEmpty extends boolean = false>(options: { description?: string; allowEmpty?: AllowEmpty } = {}) {
  const choices = [...(options.allowEmpty ? [''] : []), ...LOCALES].map((value) => Type.Literal(value))
  return Type.Unsafe<AllowEmpty extends true ? Locale | '' : Locale>(
    Type.Union(choices, { description: options.description, errorMessage: `Choose a language: ${LOCALES.join(', ')}.` }),
  )
}
