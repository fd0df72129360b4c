import { InvalidError } from '../../../platform/errors.ts'
import { ENGLISH, type Messages } from '../../../platform/i18n/messages.ts'

export const PLACEHOLDERS = ['recipientName', 'achievementName', 'credentialUrl', 'orgName'] as const
export type Placeholder = (typeof PLACEHOLDERS)[number]
export type TemplateValues = Record<Placeholder, string>

/** The placeholders as the template language writes them, to turn a catalogue message into a template. */
const AS_PLACEHOLDERS = Object.fromEntries(PLACEHOLDERS.map((name) => [name, `{{${name}}}`])) as TemplateValues

/** The built-in email in a language; an org that keeps it sends each credential's email in that credential's language. */
export function defaultTemplate(m: Messages): { subject: string; body: string } {
  return { subject: m.t('email.credential.subject', AS_PLACEHOLDERS), body: m.t('email.credential.body', AS_PLACEHOLDERS) }
}

export const { subject: DEFAULT_SUBJECT, body: DEFAULT_BODY } = defaultTemplate(ENGLISH)

type Token = { text: string } | { placeholder: Placeholder }

export interface EmailTemplate {
  subject: Token[]
  body: Token[]
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g
const LIST = PLACEHOLDERS.map((name) => `{{${name}}}`).join(', ')

function parse(template: string, field: 'emailSubject' | 'emailBody'): Token[] | string {
  const tokens: Token[] = []
  let last = 0
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? ''
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) return `Unknown placeholder {{${name}}}. Use ${LIST}.`
    tokens.push({ text: template.slice(last, match.index) }, { placeholder: name as Placeholder })
    last = match.index + match[0].length
  }
  tokens.push({ text: template.slice(last) })
  const stray = tokens.find((token) => 'text' in token && (token.text.includes('{{') || token.text.includes('}}')))
  if (stray) return `A {{ or }} in the ${field === 'emailSubject' ? 'subject' : 'message'} is not a placeholder; placeholders look like {{recipientName}}.`
  return tokens.filter((token) => !('text' in token) || token.text !== '')
}

/** Checks a subject and body; throws an InvalidError naming the field and the unknown placeholder. */
export function compileTemplate(subject: string, body: string): EmailTemplate {
  const errors: Record<string, string> = {}
  if (/[\r\n]/.test(subject)) errors.emailSubject = 'The subject must be one line.'
  const parsedSubject = parse(subject, 'emailSubject')
  const parsedBody = parse(body, 'emailBody')
  if (typeof parsedSubject === 'string') errors.emailSubject ??= parsedSubject
  if (typeof parsedBody === 'string') errors.emailBody = parsedBody
  if (typeof parsedSubject === 'string' || typeof parsedBody === 'string' || Object.keys(errors).length > 0) {
    throw new InvalidError('email_template_invalid', Object.values(errors).join(' '), errors)
  }
  return { subject: parsedSubject, body: parsedBody }
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
const URL_IN_TEXT = /https?:\/\/[^\s<>"']+/g
const linkHtml = (url: string) => `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`

/** The plain-text rendering: values as they are. */
export function renderText(tokens: Token[], values: TemplateValues): string {
  return tokens.map((token) => ('text' in token ? token.text : values[token.placeholder])).join('')
}

/**
 * The HTML rendering, paragraphs only: every value and every bit of template text escaped; links only
 * for URLs the org wrote into the template and for the credential's own URL, never for what a value contains.
 */
export function renderHtml(tokens: Token[], values: TemplateValues): string {
  const html = tokens
    .map((token) => {
      if ('placeholder' in token) return token.placeholder === 'credentialUrl' ? linkHtml(values.credentialUrl) : escapeHtml(values[token.placeholder])
      let result = ''
      let last = 0
      for (const match of token.text.matchAll(URL_IN_TEXT)) {
        result += escapeHtml(token.text.slice(last, match.index)) + linkHtml(match[0])
        last = match.index + match[0].length
      }
      return result + escapeHtml(token.text.slice(last))
    })
    .join('')
  const paragraphs = html
    .trim()
    .split(/\r?\n(?:[ \t]*\r?\n)+/)
    .map((paragraph) => `<p>${paragraph.replace(/\r?\n/g, '<br>\n')}</p>`)
  return paragraphs.join('\n')
}

/** The visible unsubscribe line every credential email ends with, in HTML. */
export function unsubscribeHtml(url: string, orgName: string, m: Messages): string {
  const sentence = m.html('email.credential.unsubscribe', { orgName }, { link: (text) => `<a href="${escapeHtml(url)}">${text}</a>` })
  return `<p style="font-size: small; color: #555">${sentence}</p>`
}

/** The same line in plain text, after the signature delimiter. */
export function unsubscribeText(url: string, orgName: string, m: Messages): string {
  return `\n\n--\n${m.t('email.credential.unsubscribeText', { orgName, url })}\n`
}

/** The HTML rendering as a whole email document, in its language and writing direction. */
export function htmlDocument(paragraphs: string, m: Messages): string {
  return `<!doctype html><html lang="${m.locale}" dir="${m.dir}"><body style="font-family: system-ui, sans-serif; line-height: 1.5">\n${paragraphs}\n</body></html>`
}
