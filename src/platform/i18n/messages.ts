import { IntlMessageFormat } from 'intl-messageformat'
import { CATALOGUES, type MessageId } from './catalogues/index.ts'
import { DEFAULT_LOCALE, dirOf, INTL_TAGS, LOCALES, type Locale } from './locales.ts'

export type { MessageId }
export type MessageValues = Record<string, string | number | Date>
/** Rich-text tags of a message (`<link>…</link>`): each gets its content as HTML and returns HTML. */
export type MessageTags = Record<string, (content: string) => string>

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)

/**
 * One locale's messages, dates, numbers and lists. There is one instance per locale (see `messagesFor`),
 * so each message is compiled once, on first use, and each Intl formatter built once.
 */
export class Messages {
  readonly dir: 'ltr' | 'rtl'
  readonly #compiled = new Map<MessageId, IntlMessageFormat>()
  readonly #dateFormats = new Map<string, Intl.DateTimeFormat>()
  readonly #numberFormat: Intl.NumberFormat
  readonly #listFormat: Intl.ListFormat

  constructor(readonly locale: Locale) {
    this.dir = dirOf(locale)
    this.#numberFormat = new Intl.NumberFormat(INTL_TAGS[locale])
    this.#listFormat = new Intl.ListFormat(INTL_TAGS[locale], { type: 'conjunction' })
  }

  /** The message as plain text; throws when a value it names is missing. */
  t(id: MessageId, values?: MessageValues): string {
    return String(this.#format(id).format(values))
  }

  /** The message as HTML: its values escaped, its tags rendered by `tags`. */
  html(id: MessageId, values: MessageValues, tags: MessageTags): string {
    const escaped = Object.fromEntries(Object.entries(values).map(([name, value]) => [name, typeof value === 'string' ? escapeHtml(value) : value]))
    const wrapped = Object.fromEntries(Object.entries(tags).map(([name, render]) => [name, (chunks: string[]) => render(chunks.join(''))]))
    const result = this.#format(id).format<string>({ ...escaped, ...wrapped })
    return Array.isArray(result) ? result.join('') : String(result)
  }

  /** A calendar date (`long`: 8 December 2026 in English); in UTC unless a time zone is given. */
  date(date: Date, style: 'long' | 'medium' | 'short' = 'long', timeZone = 'UTC'): string {
    const key = `${style} ${timeZone}`
    let format = this.#dateFormats.get(key)
    if (!format) {
      format = new Intl.DateTimeFormat(INTL_TAGS[this.locale], { dateStyle: style, timeZone })
      this.#dateFormats.set(key, format)
    }
    return format.format(date)
  }

  number(value: number): string {
    return this.#numberFormat.format(value)
  }

  list(items: string[]): string {
    return this.#listFormat.format(items)
  }

  #format(id: MessageId): IntlMessageFormat {
    let compiled = this.#compiled.get(id)
    if (!compiled) {
      const source = CATALOGUES[this.locale][id]
      if (source === undefined) throw new Error(`Message ${id} is missing from the ${this.locale} catalogue.`)
      compiled = new IntlMessageFormat(source, INTL_TAGS[this.locale])
      this.#compiled.set(id, compiled)
    }
    return compiled
  }
}

const MESSAGES = Object.fromEntries(LOCALES.map((locale) => [locale, new Messages(locale)])) as Record<Locale, Messages>

export function messagesFor(locale: Locale): Messages {
  return MESSAGES[locale]
}

/** English, for places that have no reader's locale yet (staff pages still to be translated). */
export const ENGLISH = messagesFor(DEFAULT_LOCALE)
