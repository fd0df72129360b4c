import { PDFDocument, type PDFPage, rgb } from 'pdf-lib'
import { FontSet, graphemesOf, type Weight } from '../../../platform/pdf/fonts.ts'
import { utcToZoned } from '../../../platform/time-zones.ts'
import type { ExamSessionView } from './views.ts'

/** What an attendance sheet shows; times are printed in the testing centre's time zone. */
export type AttendanceSheet = Pick<
  ExamSessionView,
  'examCode' | 'examTitle' | 'centreName' | 'roomName' | 'timeZone' | 'startsAt' | 'endsAt' | 'proctorName' | 'seats'
> & {
  seated: { name: string; email: string; checkedInAt: Date | null }[]
  waitlisted: { name: string; email: string }[]
  /** When the sheet was made (printed in the footer and the file's dates). */
  printedAt: Date
}

const A4 = [595.28, 841.89] as const
const MARGIN = 40
const ROW = 24
const SIZE = 9
const INK = rgb(0.12, 0.12, 0.14)
const MUTED = rgb(0.4, 0.4, 0.45)
const RULE = rgb(0.75, 0.75, 0.78)
const ELLIPSIS = '…'

const local = (date: Date, zone: string) => utcToZoned(date, zone).replace('T', ' ')

interface Column {
  label: string
  width: number
}
const COLUMNS: Column[] = [
  { label: '#', width: 26 },
  { label: 'Name', width: 150 },
  { label: 'Email', width: 160 },
  { label: 'Checked in', width: 74 },
  { label: 'Signature', width: A4[0] - 2 * MARGIN - 26 - 150 - 160 - 74 },
]

/**
 * The printable attendance sheet of an exam session on A4: a header naming the exam, centre, room,
 * time and proctor, then one row per seated candidate (name, email, check-in time, an empty
 * signature box), then the waitlist in its own table. Long lists continue on further pages, each
 * repeating a short header and the column heads; every page is numbered "Page i of n".
 */
export async function renderAttendanceSheet(sheet: AttendanceSheet): Promise<Uint8Array> {
  const document = await PDFDocument.create({ updateMetadata: false })
  const title = `Attendance sheet — ${sheet.examCode} ${sheet.examTitle}`
  document.setTitle(title)
  document.setProducer('Laurel')
  document.setCreator('Laurel')
  document.setCreationDate(sheet.printedAt)
  document.setModificationDate(sheet.printedAt)

  const start = local(sheet.startsAt, sheet.timeZone)
  /** A time on the exam session's own day shows as HH:MM, another day's in full. */
  const sameDay = (text: string) => (text.slice(0, 10) === start.slice(0, 10) ? text.slice(11) : text)
  const when = `${start}–${sameDay(local(sheet.endsAt, sheet.timeZone))} (${sheet.timeZone})`
  const checkIn = (date: Date | null) => (date ? sameDay(local(date, sheet.timeZone)) : '')
  const headerLines: { text: string; size: number; weight: Weight; color: ReturnType<typeof rgb> }[] = [
    { text: 'Attendance sheet', size: 11, weight: 'bold', color: MUTED },
    { text: `${sheet.examCode} · ${sheet.examTitle}`, size: 17, weight: 'bold', color: INK },
    { text: `Testing centre: ${sheet.centreName} · Room: ${sheet.roomName}`, size: 10, weight: 'regular', color: INK },
    { text: `Time: ${when}`, size: 10, weight: 'regular', color: INK },
    { text: `Proctor: ${sheet.proctorName ?? 'not assigned'}`, size: 10, weight: 'regular', color: INK },
    {
      text: `Seats: ${sheet.seats} · seated: ${sheet.seated.length} · checked in: ${sheet.seated.filter((row) => row.checkedInAt).length} · waitlisted: ${sheet.waitlisted.length}`,
      size: 10,
      weight: 'regular',
      color: INK,
    },
  ]
  const shortHeader = `${sheet.examCode} · ${sheet.examTitle} · ${when}`
  type Row = string[]
  const seatedRows: Row[] = sheet.seated.map((row, i) => [String(i + 1), row.name, row.email, checkIn(row.checkedInAt), ''])
  const waitlistRows: Row[] = sheet.waitlisted.map((row, i) => [`W${i + 1}`, row.name, row.email, '', ''])
  const sections = [
    { heading: `Seated candidates (${seatedRows.length})`, continued: 'Seated candidates (continued)', rows: seatedRows, empty: 'No candidate is seated.' },
    ...(waitlistRows.length > 0
      ? [
          {
            heading: `Waitlist (${waitlistRows.length}): not seated; admit only to a seat that is free`,
            continued: 'Waitlist (continued)',
            rows: waitlistRows,
            empty: '',
          },
        ]
      : []),
  ]

  const fonts = new FontSet()
  for (const line of headerLines) fonts.prepare(line.text, line.weight)
  fonts.prepare(shortHeader, 'bold')
  for (const section of sections) {
    fonts.prepare(section.heading, 'bold')
    fonts.prepare(section.empty, 'regular')
    fonts.prepare(section.continued, 'regular')
    for (const row of section.rows) for (const cell of row) fonts.prepare(cell, 'regular')
  }
  for (const column of COLUMNS) fonts.prepare(column.label, 'bold')
  fonts.prepare(`${ELLIPSIS}Page 0123456789 of · printed ${local(sheet.printedAt, sheet.timeZone)} ${sheet.timeZone}`, 'regular')
  fonts.prepare(ELLIPSIS, 'bold')
  await fonts.embed(document)

  /** The text cut (with an ellipsis, between whole characters as a reader sees them) to fit `maxWidth`. */
  const fit = (text: string, weight: Weight, size: number, maxWidth: number) => {
    if (fonts.widthOf(text, weight, size) <= maxWidth) return text
    const characters = graphemesOf(text)
    while (characters.length > 0 && fonts.widthOf(`${characters.join('')}${ELLIPSIS}`, weight, size) > maxWidth) characters.pop()
    return `${characters.join('')}${ELLIPSIS}`
  }
  const draw = (
    page: PDFPage,
    text: string,
    x: number,
    y: number,
    options: { size: number; weight: Weight; color?: ReturnType<typeof rgb>; maxWidth: number },
  ) =>
    fonts.draw(page, fit(text, options.weight, options.size, options.maxWidth), {
      x,
      y,
      size: options.size,
      weight: options.weight,
      color: options.color ?? INK,
    })

  const [width, height] = A4
  const contentWidth = width - 2 * MARGIN
  const bottom = MARGIN + 24
  let page: PDFPage = document.addPage([width, height])
  let y = height - MARGIN
  for (const line of headerLines) {
    y -= line.size * 1.45
    draw(page, line.text, MARGIN, y, { size: line.size, weight: line.weight, color: line.color, maxWidth: contentWidth })
  }
  y -= 10

  const newPage = () => {
    page = document.addPage([width, height])
    y = height - MARGIN - 12
    draw(page, shortHeader, MARGIN, y, { size: 10, weight: 'bold', maxWidth: contentWidth })
    y -= 10
  }
  const columnHeads = () => {
    y -= ROW
    page.drawRectangle({ x: MARGIN, y, width: contentWidth, height: ROW, color: rgb(0.93, 0.93, 0.95) })
    let x = MARGIN
    for (const column of COLUMNS) {
      draw(page, column.label, x + 4, y + 8, { size: SIZE, weight: 'bold', maxWidth: column.width - 8 })
      x += column.width
    }
  }
  const rowLine = () => page.drawLine({ start: { x: MARGIN, y }, end: { x: MARGIN + contentWidth, y }, thickness: 0.5, color: RULE })

  for (const section of sections) {
    // A section heading never sits alone at the foot of a page.
    if (y - 20 - 2 * ROW < bottom) newPage()
    y -= 20
    draw(page, section.heading, MARGIN, y + 4, { size: 11, weight: 'bold', maxWidth: contentWidth })
    if (section.rows.length === 0) {
      y -= 16
      draw(page, section.empty, MARGIN, y + 4, { size: SIZE, weight: 'regular', color: MUTED, maxWidth: contentWidth })
      continue
    }
    columnHeads()
    for (const row of section.rows) {
      if (y - ROW < bottom) {
        newPage()
        y -= 6
        draw(page, section.continued, MARGIN, y - 8, { size: SIZE, weight: 'regular', color: MUTED, maxWidth: contentWidth })
        y -= 10
        columnHeads()
      }
      y -= ROW
      let x = MARGIN
      row.forEach((cell, i) => {
        const column = COLUMNS[i]
        if (!column) return
        draw(page, cell, x + 4, y + 8, { size: SIZE, weight: 'regular', maxWidth: column.width - 8 })
        x += column.width
      })
      rowLine()
      // Column rules: the signature box in particular.
      let edge = MARGIN
      for (const column of COLUMNS.slice(0, -1)) {
        edge += column.width
        page.drawLine({ start: { x: edge, y }, end: { x: edge, y: y + ROW }, thickness: 0.5, color: RULE })
      }
    }
  }

  const pages = document.getPages()
  const printed = `printed ${local(sheet.printedAt, sheet.timeZone)} ${sheet.timeZone}`
  pages.forEach((each, i) => {
    draw(each, `Page ${i + 1} of ${pages.length} · ${printed}`, MARGIN, MARGIN, { size: 8, weight: 'regular', color: MUTED, maxWidth: contentWidth })
  })
  return document.save()
}
