import { PDFDocument, type PDFImage, type PDFPage, rgb } from 'pdf-lib'
import QRCode from 'qrcode'
import type { Db } from '../../../platform/db/client.ts'
import { NotFoundError } from '../../../platform/errors.ts'
import type { Locale } from '../../../platform/i18n/locales.ts'
import { messagesFor } from '../../../platform/i18n/messages.ts'
import { FontSet, type Weight } from '../../../platform/pdf/fonts.ts'

export { charactersWithoutFont, codePointsOf } from '../../../platform/pdf/fonts.ts'

import type { Platform } from '../../../platform/platform.ts'
import type { CredentialRow } from '../issuance/issuance.ts'
import { publicUrls } from '../urls.ts'
import { type CertificateDesign, findCertificateDesign } from './design.ts'

/** What a certificate says; taken from the signed credential, never from mutable rows. */
export interface CertificateContent {
  recipientName: string
  achievementName: string
  issuerName: string
  validFrom: Date
  validUntil: Date | null
  credentialId: string
  /** The public page the QR code opens. */
  url: string
  /** The language of the certificate's fixed words and dates. */
  locale: Locale
}

const PAGE_SIZES = { a4: [841.89, 595.28], letter: [792, 612] } as const
const PRODUCER = 'Laurel'

const text = (value: unknown) => (typeof value === 'string' ? value : '')

/** The content of a stored credential's certificate; an erased credential (its document stripped) has none. */
export function certificateContentOf(platform: Platform, credential: CredentialRow): CertificateContent {
  const document = credential.document as {
    erased?: boolean
    name?: unknown
    issuer?: { name?: unknown } | string
    validFrom?: unknown
    validUntil?: unknown
    credentialSubject?: { name?: unknown; achievement?: { name?: unknown } }
  }
  if (document.erased || !document.credentialSubject) throw new NotFoundError('credential', credential.id)
  const validFrom = new Date(text(document.validFrom) || credential.validFrom.toISOString())
  const validUntil = text(document.validUntil) ? new Date(text(document.validUntil)) : null
  return {
    recipientName: text(document.credentialSubject.name) || credential.recipientName,
    achievementName: text(document.credentialSubject.achievement?.name) || text(document.name) || 'Credential',
    issuerName: typeof document.issuer === 'object' ? text(document.issuer.name) : '',
    validFrom,
    validUntil,
    credentialId: credential.id,
    url: publicUrls(platform.config).credential(credential.id),
    locale: credential.locale,
  }
}

/**
 * The PDF certificate of a credential, in its achievement's design. The same credential and design
 * always give the same bytes: dates in the file are the credential's validFrom, fonts are built
 * deterministically and there is no document ID.
 *
 * The credential's status (revoked, suspended, expired) is deliberately not printed: a PDF is a copy
 * that lives on after a revocation, so marking it at render time would only make the bytes depend on
 * when it was fetched. The QR code leads to the public page, which tells the status of the day.
 * Inside a transaction, pass it as `db` (the design is read with it). Throws NotFoundError for an
 * erased credential.
 */
export async function renderCertificatePdf(platform: Platform, credential: CredentialRow, db: Db = platform.db): Promise<Uint8Array> {
  const content = certificateContentOf(platform, credential)
  const design = await findCertificateDesign(db, credential.orgId, credential.achievementId)
  return renderCertificate(content, design)
}

interface Line {
  text: string
  size: number
  weight: Weight
  color: ReturnType<typeof rgb>
}

/** `onCharactersLeftOut` hears of characters no font has, which the certificate leaves out. */
export async function renderCertificate(
  content: CertificateContent,
  design: CertificateDesign,
  options: { onCharactersLeftOut?: (characters: string[]) => void } = {},
): Promise<Uint8Array> {
  const document = await PDFDocument.create({ updateMetadata: false })
  document.setTitle(`${content.achievementName} — ${content.recipientName}`)
  document.setAuthor(content.issuerName)
  document.setSubject(`Certificate ${content.credentialId}: verify at ${content.url}`)
  document.setProducer(PRODUCER)
  document.setCreator(PRODUCER)
  document.setCreationDate(content.validFrom)
  document.setModificationDate(content.validFrom)

  const [width, height] = PAGE_SIZES[design.paperSize]
  const page = document.addPage([width, height])
  const primary = colorOf(design.primaryColor)
  const accent = colorOf(design.accentColor)
  const ink = rgb(0.13, 0.13, 0.15)
  const muted = rgb(0.38, 0.38, 0.42)

  // Dates come from Intl: the bytes stay the same for a credential as long as Node's ICU data does.
  const m = messagesFor(content.locale)
  const date = m.date(content.validFrom)
  const dates = content.validUntil
    ? m.t('certificate.issuedOnValidUntil', { date, validUntil: m.date(content.validUntil) })
    : m.t('certificate.issuedOn', { date })
  const verifyLines = [m.t('certificate.verify', { url: content.url }), m.t('certificate.credentialId', { credentialId: content.credentialId })]
  const lines: Line[] = (
    [
      { text: m.t('certificate.heading'), size: 14, weight: 'bold' as const, color: accent },
      { text: m.t('certificate.certifiesThat'), size: 13, weight: 'regular', color: muted },
      { text: content.recipientName, size: 36, weight: 'bold', color: primary },
      { text: m.t('certificate.hasEarned'), size: 13, weight: 'regular', color: muted },
      { text: content.achievementName, size: 22, weight: 'bold', color: ink },
      { text: content.issuerName ? m.t('certificate.issuedBy', { issuerName: content.issuerName }) : '', size: 12, weight: 'regular', color: ink },
      { text: dates, size: 11, weight: 'regular', color: muted },
      ...design.customFields.map((field) => ({ text: `${field.label}: ${field.value}`, size: 11, weight: 'regular' as const, color: ink })),
    ] satisfies Line[]
  ).filter((line) => line.text !== '')
  const footer = [design.signerName, design.signerTitle, ...verifyLines]

  const fonts = new FontSet()
  for (const line of lines) fonts.prepare(line.text, line.weight)
  for (const line of footer) fonts.prepare(line, 'regular')
  await fonts.embed(document)
  const logo = design.logo ? await document.embedPng(design.logo) : null
  const signature = design.signature ? await document.embedPng(design.signature) : null

  const draw = (line: Pick<Line, 'text' | 'size' | 'weight' | 'color'>, x: number, y: number, options: { maxWidth: number; align: 'left' | 'center' }) => {
    const widthAt = (size: number) => fonts.widthOf(line.text, line.weight, size)
    // Long names shrink to fit the line rather than run off the page.
    const size = Math.min(line.size, (line.size * options.maxWidth) / Math.max(1, widthAt(line.size)))
    const left = options.align === 'center' ? x - widthAt(size) / 2 : x
    fonts.draw(page, line.text, { x: left, y, size, weight: line.weight, color: line.color })
  }

  const drawBody = (x: number, top: number, maxWidth: number, align: 'left' | 'center') => {
    let y = top
    for (const line of lines) {
      y -= line.size * 1.25 + (line.size >= 20 ? 14 : 8)
      draw(line, x, y, { maxWidth, align })
    }
  }

  const drawSignature = (x: number, y: number, align: 'left' | 'center') => {
    const lineWidth = 190
    const left = align === 'center' ? x - lineWidth / 2 : x
    if (signature) {
      const scaled = fitImage(signature, lineWidth, 50)
      page.drawImage(signature, { x: align === 'center' ? x - scaled.width / 2 : x, y: y + 4, ...scaled })
    }
    if (!signature && !design.signerName) return
    page.drawLine({ start: { x: left, y }, end: { x: left + lineWidth, y }, thickness: 0.7, color: muted })
    draw({ text: design.signerName, size: 11, weight: 'regular', color: ink }, x, y - 14, { maxWidth: lineWidth, align })
    draw({ text: design.signerTitle, size: 9, weight: 'regular', color: muted }, x, y - 27, { maxWidth: lineWidth, align })
  }

  const qrSize = 84
  // The verification text sits under the QR code, right-aligned to its edge.
  const drawVerificationRight = (right: number, y: number) => {
    drawQrCode(page, content.url, right - qrSize, y, qrSize)
    for (const [i, line] of verifyLines.entries()) {
      const lineWidth = fonts.widthOf(line, 'regular', 7)
      draw({ text: line, size: 7, weight: 'regular', color: muted }, right - lineWidth, y - 10 - i * 9, { maxWidth: 260, align: 'left' })
    }
  }

  switch (design.layout) {
    case 'classic': {
      page.drawRectangle({ x: 18, y: 18, width: width - 36, height: height - 36, borderColor: primary, borderWidth: 3 })
      page.drawRectangle({ x: 26, y: 26, width: width - 52, height: height - 52, borderColor: accent, borderWidth: 1 })
      let top = height - 48
      if (logo) {
        const scaled = fitImage(logo, 160, 56)
        page.drawImage(logo, { x: (width - scaled.width) / 2, y: top - scaled.height, ...scaled })
        top -= scaled.height + 4
      }
      drawBody(width / 2, top, width - 140, 'center')
      drawSignature(width / 2, 92, 'center')
      drawVerificationRight(width - 48, 62)
      break
    }
    case 'modern': {
      const band = Math.round(width * 0.26)
      page.drawRectangle({ x: 0, y: 0, width: band, height, color: primary })
      page.drawRectangle({ x: band, y: 0, width: 6, height, color: accent })
      if (logo) {
        const scaled = fitImage(logo, band - 60, 80)
        page.drawRectangle({ x: 22, y: height - 52 - scaled.height, width: band - 44, height: scaled.height + 24, color: rgb(1, 1, 1) })
        page.drawImage(logo, { x: (band - scaled.width) / 2, y: height - 40 - scaled.height, ...scaled })
      }
      page.drawRectangle({ x: (band - qrSize) / 2 - 6, y: 60 - 6, width: qrSize + 12, height: qrSize + 12, color: rgb(1, 1, 1) })
      drawQrCode(page, content.url, (band - qrSize) / 2, 60, qrSize)
      const left = band + 48
      drawBody(left, height - 40, width - left - 48, 'left')
      drawSignature(left, 96, 'left')
      for (const [i, line] of verifyLines.entries()) {
        draw({ text: line, size: 7, weight: 'regular', color: muted }, left, 40 - i * 9, { maxWidth: width - left - 48, align: 'left' })
      }
      break
    }
    case 'minimal': {
      const left = 64
      let top = height - 56
      if (logo) {
        const scaled = fitImage(logo, 140, 48)
        page.drawImage(logo, { x: left, y: top - scaled.height, ...scaled })
        top -= scaled.height + 8
      }
      page.drawLine({ start: { x: left, y: top - 6 }, end: { x: left + 80, y: top - 6 }, thickness: 2, color: accent })
      drawBody(left, top - 6, width - left * 2 - qrSize, 'left')
      drawSignature(left, 96, 'left')
      drawVerificationRight(width - left, 60)
      break
    }
    default: {
      const unreachable: never = design.layout
      throw new Error(`Unknown layout ${unreachable}`)
    }
  }
  if (fonts.dropped.size > 0) options.onCharactersLeftOut?.([...fonts.dropped])
  return document.save()
}

function colorOf(hex: string) {
  const value = Number.parseInt(hex.slice(1), 16)
  return rgb(((value >> 16) & 255) / 255, ((value >> 8) & 255) / 255, (value & 255) / 255)
}

function fitImage(image: PDFImage, maxWidth: number, maxHeight: number) {
  const scale = Math.min(maxWidth / image.width, maxHeight / image.height)
  return { width: image.width * scale, height: image.height * scale }
}

/** The QR code as vector squares (one rectangle per run of dark modules in a row), with its quiet zone in white. */
function drawQrCode(page: PDFPage, url: string, x: number, y: number, size: number): void {
  const qr = QRCode.create(url, { errorCorrectionLevel: 'M' })
  const count = qr.modules.size
  const quiet = 2
  const module = size / (count + quiet * 2)
  page.drawRectangle({ x, y, width: size, height: size, color: rgb(1, 1, 1) })
  for (let row = 0; row < count; row++) {
    let start = -1
    for (let column = 0; column <= count; column++) {
      const isDark = column < count && qr.modules.get(row, column) === 1
      if (isDark && start < 0) start = column
      if (!isDark && start >= 0) {
        page.drawRectangle({
          x: x + (quiet + start) * module,
          y: y + size - (quiet + row + 1) * module,
          width: (column - start) * module,
          height: module,
          color: rgb(0, 0, 0),
        })
        start = -1
      }
    }
  }
}
