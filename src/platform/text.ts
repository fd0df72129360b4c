/**
 * The first control character in `text` that Laurel refuses in text input, as "U+0000": NUL (which
 * PostgreSQL cannot store in text or jsonb) and every other C0 control character but tab, LF and CR.
 */
export function controlCharacterIn(text: string): string | undefined {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
  }
  return undefined
}
