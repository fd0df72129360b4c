import { PDFDocument, type PDFPage, rgb } from 'pdf-lib'
import { FontSet, type Weight } from '../../../platform/pdf/fonts.ts'

/** A breach report for the regulator: a title, facts, the eight elements and the affected people. */
export interface BreachReport {
  title: string
  facts: string[]
  sections: { heading: string; paragraphs: string[] }[]
  people: { email: string; name: string; letterStatus: string }[]
  printedAt: Date
}

const A4 = [595.28, 841.89] as const
const MARGIN = 48
const INK = rgb(0.12, 0.12, 0.14)
const MUTED = rgb(0.4, 0.4, 0.45)

interface Line {
  text: string
  size: number
  weight: Weight
  gapBefore: number
}

/** Flowing text on A4 pages, wrapped at word boundaries, every page numbered "Page i of n". */
export async function renderBreachReport(report: BreachReport): Promise<Uint8Array> {
  const document = await PDFDocument.create({ updateMetadata: false })
  document.setTitle(report.title)
  document.setProducer('Laurel')
  document.setCreator('Laurel')
  document.setCreationDate(report.printedAt)
  document.setModificationDate(report.printedAt)

  const blocks: Line[] = [
    { text: report.title, size: 16, weight: 'bold', gapBefore: 0 },
    ...report.facts.map((text) => ({ text, size: 10, weight: 'regular' as const, gapBefore: 4 })),
    ...report.sections.flatMap((section) => [
      { text: section.heading, size: 12, weight: 'bold' as const, gapBefore: 14 },
      ...section.paragraphs.map((text) => ({ text, size: 10, weight: 'regular' as const, gapBefore: 5 })),
    ]),
    { text: `Affected people (${report.people.length})`, size: 12, weight: 'bold', gapBefore: 14 },
    ...(report.people.length === 0
      ? [{ text: 'No affected person is recorded.', size: 10, weight: 'regular' as const, gapBefore: 5 }]
      : report.people.map((person, i) => ({
          text: `${i + 1}. ${person.email}${person.name ? ` — ${person.name}` : ''} — letter: ${person.letterStatus}`,
          size: 9,
          weight: 'regular' as const,
          gapBefore: 3,
        }))),
  ]
  const fonts = new FontSet()
  for (const block of blocks) fonts.prepare(block.text, block.weight)
  fonts.prepare('Page 0123456789 of', 'regular')
  await fonts.embed(document)

  const [width, height] = A4
  const contentWidth = width - 2 * MARGIN
  /** The text split into lines no wider than the page (a word longer than a line is cut). */
  const wrap = (text: string, weight: Weight, size: number) => {
    const lines: string[] = []
    for (const paragraph of text.split('\n')) {
      let line = ''
      for (const word of paragraph.split(/\s+/).filter(Boolean)) {
        const candidate = line ? `${line} ${word}` : word
        if (fonts.widthOf(candidate, weight, size) <= contentWidth || !line) line = candidate
        else {
          lines.push(line)
          line = word
        }
      }
      lines.push(line)
    }
    return lines
  }
  const draw = (page: PDFPage, text: string, y: number, size: number, weight: Weight, color = INK) =>
    fonts.draw(page, text, { x: MARGIN, y, size, weight, color })

  let page = document.addPage([width, height])
  let y = height - MARGIN
  for (const block of blocks) {
    y -= block.gapBefore
    for (const line of wrap(block.text, block.weight, block.size)) {
      const lineHeight = block.size * 1.4
      if (y - lineHeight < MARGIN + 20) {
        page = document.addPage([width, height])
        y = height - MARGIN
      }
      y -= lineHeight
      draw(page, line, y, block.size, block.weight)
    }
  }
  const pages = document.getPages()
  for (const [i, each] of pages.entries()) draw(each, `Page ${i + 1} of ${pages.length}`, MARGIN - 16, 8, 'regular', MUTED)
  return document.save()
}
