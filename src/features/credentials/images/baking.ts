import { crc32, inflateSync } from 'node:zlib'
import { DomainError, InvalidError } from '../../../platform/errors.ts'
import { isCompactJws } from '../signing/jwt.ts'

// Open Badges 3.0 §5.3 "Baked Badge": the signed credential travels inside its badge image, in a PNG
// iTXt chunk or an SVG <openbadges:credential> element, as the same JSON a .json download holds.

/** The largest credential file /verify accepts: a baked badge is the achievement image (at most 1 MB) plus the credential. */
export const MAX_CREDENTIAL_FILE_BYTES = 2 * 1024 * 1024
const OB3_NAMESPACE = 'https://purl.imsglobal.org/ob/v3p0'

export type BadgeImageType = 'image/png' | 'image/svg+xml'

export const badgeFormat = (type: BadgeImageType) => (type === 'image/png' ? 'PNG' : 'SVG')

/** Where a credential's baked badge downloads from: the extension follows the achievement image's type. */
export const badgePath = (credentialId: string, type: BadgeImageType) => `/credentials/${credentialId}/badge.${badgeFormat(type).toLowerCase()}`

class BadgeImageMissingError extends DomainError {
  readonly kind = 'not_found'
}

export interface BakedBadge {
  data: Buffer
  type: BadgeImageType
  fileName: string
}

/** The credential baked into its achievement's image, ready to download. */
export function bakeBadge(
  credential: { id: string; document: Record<string, unknown> },
  achievement: { name: string; imageData: Buffer | null; imageType: BadgeImageType | null } | null,
): BakedBadge {
  if (!achievement?.imageData || !achievement.imageType) {
    throw new BadgeImageMissingError('badge_image_not_found', 'This credential has no badge image to download: its achievement has no image.')
  }
  const text = JSON.stringify(credential.document)
  const slug = achievement.name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
  return {
    data:
      achievement.imageType === 'image/png' ? bakePng(achievement.imageData, text) : Buffer.from(bakeSvg(achievement.imageData.toString('utf8'), text), 'utf8'),
    type: achievement.imageType,
    fileName: `${slug || 'badge'}-${credential.id}.${badgeFormat(achievement.imageType).toLowerCase()}`,
  }
}

export type CredentialFileSource = 'json' | 'png' | 'svg'

/**
 * What a verifier uploads: a credential file (JSON or a VC-JWT) or a baked PNG or SVG badge. Returns the
 * parsed credential (a VC-JWT as its token string); throws an InvalidError saying what is wrong with the file otherwise.
 */
export function credentialFromFile(data: Buffer): { document: unknown; source: CredentialFileSource } {
  if (data.subarray(0, 8).equals(PNG_SIGNATURE)) {
    return { document: parseBaked(unbakePng(data) ?? missing('PNG')), source: 'png' }
  }
  const text = data
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trim()
  if (text.startsWith('<')) return { document: parseBaked(unbakeSvg(text) ?? missing('SVG')), source: 'svg' }
  if (isCompactJws(text)) return { document: text, source: 'json' }
  try {
    return { document: JSON.parse(text), source: 'json' }
  } catch {
    throw new InvalidError('not_a_credential_file', 'The file is not JSON. Upload the credential file (…json) or a baked badge image (PNG or SVG).')
  }
}

/** A baked credential: JSON with an embedded proof, or a VC-JWT (a compact JWS, kept as the string verification takes). */
function parseBaked(text: string): unknown {
  if (isCompactJws(text)) return text
  try {
    return JSON.parse(text)
  } catch {
    throw new InvalidError('malformed_baked_credential', 'The credential baked into this image is not valid JSON.')
  }
}

function missing(format: 'PNG' | 'SVG'): never {
  throw new InvalidError(
    'no_baked_credential',
    `This ${format} image has no Open Badges credential baked into it. Download the baked badge from the credential's page, or upload the credential file (JSON).`,
  )
}

// PNG: https://www.w3.org/TR/png-3/#5Chunk-layout (length, type, data, CRC over type and data) and #11iTXt.

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
const KEYWORD = 'openbadgecredential'

interface PngChunk {
  type: string
  data: Buffer
  /** The whole chunk as it was read: length, type, data and CRC. */
  bytes: Buffer
}

function damagedPng(detail: string): never {
  throw new InvalidError('malformed_png', `This PNG file is damaged: ${detail}.`)
}

/** Every chunk from IHDR to IEND, with lengths and CRCs checked. */
function readPngChunks(png: Buffer): PngChunk[] {
  if (!png.subarray(0, 8).equals(PNG_SIGNATURE)) damagedPng('it does not start with the PNG signature')
  const chunks: PngChunk[] = []
  for (let offset = 8; ; ) {
    if (offset + 12 > png.length) damagedPng('it ends before its IEND chunk')
    const length = png.readUInt32BE(offset)
    const end = offset + 12 + length
    if (length > 0x7fffffff || end > png.length) damagedPng(`chunk ${chunks.length + 1} runs past the end of the file`)
    const type = png.toString('latin1', offset + 4, offset + 8)
    if (!/^[A-Za-z]{4}$/.test(type)) damagedPng(`chunk ${chunks.length + 1} has no valid type`)
    if (crc32(png.subarray(offset + 4, end - 4)) !== png.readUInt32BE(end - 4)) damagedPng(`its ${type} chunk fails its checksum`)
    if (chunks.length === 0 && type !== 'IHDR') damagedPng('it does not begin with an IHDR chunk')
    chunks.push({ type, data: png.subarray(offset + 8, end - 4), bytes: png.subarray(offset, end) })
    if (type === 'IEND') return chunks
    offset = end
  }
}

function pngChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(data.length + 12)
  chunk.writeUInt32BE(data.length, 0)
  chunk.write(type, 4, 'latin1')
  data.copy(chunk, 8)
  chunk.writeUInt32BE(crc32(chunk.subarray(4, chunk.length - 4)), chunk.length - 4)
  return chunk
}

const isCredentialChunk = (chunk: PngChunk) => chunk.type === 'iTXt' && chunk.data.toString('latin1', 0, chunk.data.indexOf(0)) === KEYWORD

/** The PNG with `text` in one uncompressed iTXt chunk right after IHDR, replacing any credential it carried. */
export function bakePng(png: Buffer, text: string): Buffer {
  // keyword, NUL, compression flag 0, method 0, empty language tag + NUL, empty translated keyword + NUL, text
  const itxt = pngChunk('iTXt', Buffer.concat([Buffer.from(KEYWORD, 'latin1'), Buffer.alloc(5), Buffer.from(text, 'utf8')]))
  const kept = readPngChunks(png).flatMap((chunk, index) => (index === 0 ? [chunk.bytes, itxt] : isCredentialChunk(chunk) ? [] : [chunk.bytes]))
  return Buffer.concat([PNG_SIGNATURE, ...kept])
}

/** The text of the first openbadgecredential iTXt chunk, or undefined when the PNG has none. */
export function unbakePng(png: Buffer): string | undefined {
  const chunk = readPngChunks(png).find(isCredentialChunk)
  if (!chunk) return undefined
  const { data } = chunk
  const isCompressed = data[KEYWORD.length + 1] === 1
  const languageEnd = data.indexOf(0, KEYWORD.length + 3)
  const translatedEnd = languageEnd < 0 ? -1 : data.indexOf(0, languageEnd + 1)
  if (translatedEnd < 0) damagedPng('its openbadgecredential chunk is incomplete')
  const text = data.subarray(translatedEnd + 1)
  if (!isCompressed) return text.toString('utf8')
  // The spec forbids compression; other bakers may still use it, so read it, within the upload limit.
  try {
    return inflateSync(text, { maxOutputLength: MAX_CREDENTIAL_FILE_BYTES }).toString('utf8')
  } catch {
    return damagedPng('its compressed openbadgecredential text cannot be inflated')
  }
}

// SVG: the credential goes in an <openbadges:credential> element directly inside the root, its JSON in
// CDATA. Achievement SVGs are sanitised on upload (images.ts), so tags and attributes are plain.

const ATTRIBUTES = `(?:[^>"']|"[^"]*"|'[^']*')*`
const ROOT_TAG = new RegExp(`<svg\\b${ATTRIBUTES}>`)
const CREDENTIAL_TAG = new RegExp(`<openbadges:credential\\b(${ATTRIBUTES}?)(/?)>`)
const CLOSING_TAG = /^<\/openbadges:credential\s*>/

function damagedSvg(detail: string): never {
  throw new InvalidError('malformed_svg', `This SVG file is damaged: ${detail}.`)
}

/** The first <openbadges:credential> element: where it is, its attributes and its text (CDATA sections joined, entities decoded). */
function findCredentialElement(svg: string): { start: number; end: number; attributes: string; text: string } | undefined {
  const open = CREDENTIAL_TAG.exec(svg)
  if (!open) return undefined
  const attributes = open[1] ?? ''
  let at = open.index + open[0].length
  if (open[2]) return { start: open.index, end: at, attributes, text: '' }
  let text = ''
  for (;;) {
    if (svg.startsWith('<![CDATA[', at)) {
      const close = svg.indexOf(']]>', at)
      if (close < 0) damagedSvg('a CDATA section in <openbadges:credential> is not closed')
      text += svg.slice(at + 9, close)
      at = close + 3
      continue
    }
    const closing = CLOSING_TAG.exec(svg.slice(at, at + 40))
    if (closing) return { start: open.index, end: at + closing[0].length, attributes, text }
    const next = svg.indexOf('<', at)
    if (next === at || next < 0) damagedSvg('<openbadges:credential> holds something other than text or is not closed')
    text += decodeXmlText(svg.slice(at, next))
    at = next
  }
}

function decodeXmlText(text: string): string {
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }
  return text.replace(/&(?:#x([0-9a-f]+)|#(\d+)|(lt|gt|amp|quot|apos));/gi, (entity, hex?: string, decimal?: string, name?: string) => {
    if (name) return named[name.toLowerCase()] ?? entity
    const codePoint = Number.parseInt(hex ?? decimal ?? '', hex ? 16 : 10)
    return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : entity
  })
}

/** The SVG with `text` in an <openbadges:credential> element right after the root start tag, replacing any credential it carried. */
export function bakeSvg(svg: string, text: string): string {
  const existing = findCredentialElement(svg)
  const plain = existing ? svg.slice(0, existing.start) + svg.slice(existing.end) : svg
  const root = ROOT_TAG.exec(plain)
  if (!root) damagedSvg('it has no <svg> element')
  const isEmpty = root[0].endsWith('/>')
  const attributes = root[0]
    .slice(4, isEmpty ? -2 : -1)
    .replace(/\s+xmlns:openbadges\s*=\s*("[^"]*"|'[^']*')/, '')
    .trimEnd()
  // "]]>" would end the CDATA section early: close it after "]]" and open a new one for ">".
  const element = `<openbadges:credential><![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]></openbadges:credential>`
  const start = `<svg${attributes} xmlns:openbadges="${OB3_NAMESPACE}">`
  return plain.slice(0, root.index) + start + element + (isEmpty ? '</svg>' : '') + plain.slice(root.index + root[0].length)
}

/** The credential in the first <openbadges:credential> element (its `verify` attribute for a VC-JWT), or undefined when there is none. */
export function unbakeSvg(svg: string): string | undefined {
  const element = findCredentialElement(svg)
  if (!element) return undefined
  const verify = /\bverify\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(element.attributes)
  return verify ? decodeXmlText(verify[1] ?? verify[2] ?? '') : element.text.trim()
}
