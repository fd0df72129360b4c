import { LOCALE_NAMES, LOCALES } from './locales.ts'
import type { Messages } from './messages.ts'

/** Links to this page in each language (`?lang=`, remembered in a cookie), each named in its own language. */
export function LanguagePicker({ messages, url }: { messages: Messages; url: string }) {
  const [path = '/', query = ''] = url.split('?')
  const hrefIn = (locale: string) => {
    const parameters = new URLSearchParams(query)
    parameters.set('lang', locale)
    return `${path}?${parameters}`
  }
  return (
    <nav class="language-picker" aria-label={messages.t('language.picker')}>
      <ul>
        {LOCALES.map((locale) => (
          <li>
            <a href={hrefIn(locale)} hreflang={locale} lang={locale} aria-current={locale === messages.locale ? 'true' : undefined} safe>
              {LOCALE_NAMES[locale]}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  )
}
