import type { Font, Glyph } from '@pdf-lib/fontkit'

/**
 * Writes a small TrueType font holding only the glyphs of `codePoints`, from any font fontkit reads
 * (TrueType or CFF outlines), for embedding in a PDF.
 *
 * Why not pdf-lib's `subset: true`: @pdf-lib/fontkit 1.1.1 breaks both of our fonts. Its TrueType
 * subsetter copies unpadded glyphs from NotoSans (long `loca`) and then writes a short `loca`, whose
 * halved offsets land mid-glyph, so most letters vanish; its CFF subsetter writes CID-keyed fonts
 * (NotoSansHans) that poppler rejects as invalid. Rebuilding the outlines as quadratic TrueType
 * glyphs sidesteps both, and gives the same bytes for the same text (no timestamps, sorted glyphs).
 */
export function buildTrueType(font: Font, codePoints: number[]): Uint8Array {
  const sorted = [...new Set(codePoints)].sort((a, b) => a - b).filter((codePoint) => font.hasGlyphForCodePoint(codePoint))
  const glyphs: Glyph[] = [font.getGlyph(0), ...sorted.map((codePoint) => font.glyphForCodePoint(codePoint))]
  const encoded = glyphs.map(encodeGlyph)
  const bounds = encoded.reduce(
    (all, glyph) =>
      glyph.contours === 0
        ? all
        : {
            xMin: Math.min(all.xMin, glyph.xMin),
            yMin: Math.min(all.yMin, glyph.yMin),
            xMax: Math.max(all.xMax, glyph.xMax),
            yMax: Math.max(all.yMax, glyph.yMax),
          },
    { xMin: 0, yMin: 0, xMax: 0, yMax: 0 },
  )
  const advances = glyphs.map((glyph) => Math.round(glyph.advanceWidth))

  const glyf = Buffer.concat(encoded.map((glyph) => glyph.data))
  const loca = new Writer()
  let offset = 0
  for (const glyph of encoded) {
    loca.u32(offset)
    offset += glyph.data.length
  }
  loca.u32(offset)

  const head = new Writer()
  head.u32(0x00010000).u32(0x00010000).u32(0).u32(0x5f0f3cf5).u16(0b1011).u16(font.unitsPerEm)
  head.u32(0).u32(0).u32(0).u32(0) // created and modified: zero, so the bytes never depend on the clock
  head.i16(bounds.xMin).i16(bounds.yMin).i16(bounds.xMax).i16(bounds.yMax).u16(0).u16(8).i16(2).i16(1).i16(0)

  const hhea = new Writer()
  hhea.u32(0x00010000).i16(Math.round(font.ascent)).i16(Math.round(font.descent)).i16(Math.round(font.lineGap))
  hhea
    .u16(Math.max(...advances))
    .i16(0)
    .i16(0)
    .i16(bounds.xMax)
    .i16(1)
    .i16(0)
    .i16(0)
    .i16(0)
    .i16(0)
    .i16(0)
    .i16(0)
    .i16(0)
    .u16(glyphs.length)

  const maxp = new Writer()
  maxp.u32(0x00010000).u16(glyphs.length)
  maxp.u16(Math.max(...encoded.map((glyph) => glyph.points))).u16(Math.max(...encoded.map((glyph) => glyph.contours)))
  maxp.u16(0).u16(0).u16(2).u16(0).u16(0).u16(0).u16(0).u16(0).u16(0).u16(0).u16(0)

  const hmtx = new Writer()
  for (const [i, glyph] of encoded.entries()) hmtx.u16(advances[i] ?? 0).i16(glyph.contours === 0 ? 0 : glyph.xMin)

  const cmap = new Writer()
  cmap.u16(0).u16(1).u16(3).u16(10).u32(12)
  cmap
    .u16(12)
    .u16(0)
    .u32(16 + sorted.length * 12)
    .u32(0)
    .u32(sorted.length)
  for (const [i, codePoint] of sorted.entries())
    cmap
      .u32(codePoint)
      .u32(codePoint)
      .u32(i + 1)

  const post = new Writer()
  post.u32(0x00030000).u32(0).i16(-100).i16(50).u32(0).u32(0).u32(0).u32(0).u32(0)

  const names = [font.familyName, font.postscriptName].map((text) => Buffer.from(text ?? 'Font', 'utf16le').swap16())
  const name = new Writer()
  name
    .u16(0)
    .u16(names.length)
    .u16(6 + names.length * 12)
  let stringOffset = 0
  names.forEach((text, i) => {
    name
      .u16(3)
      .u16(1)
      .u16(0x409)
      .u16(i === 0 ? 1 : 6)
      .u16(text.length)
      .u16(stringOffset)
    stringOffset += text.length
  })

  return writeFont({
    name: Buffer.concat([name.bytes(), ...names]),
    cmap: cmap.bytes(),
    glyf,
    head: head.bytes(),
    hhea: hhea.bytes(),
    hmtx: hmtx.bytes(),
    loca: loca.bytes(),
    maxp: maxp.bytes(),
    post: post.bytes(),
  })
}

interface EncodedGlyph {
  data: Buffer
  contours: number
  points: number
  xMin: number
  yMin: number
  xMax: number
  yMax: number
}

interface PathCommand {
  command: string
  args: number[]
}

interface Point {
  x: number
  y: number
  isOnCurve: boolean
}

/** Cubic segments become this many quadratic ones: invisible at certificate sizes. */
const CUBIC_SPLITS = 3

function encodeGlyph(glyph: Glyph): EncodedGlyph {
  const contours: Point[][] = []
  let contour: Point[] = []
  let current = { x: 0, y: 0 }
  const closeContour = () => {
    const first = contour[0]
    const last = contour[contour.length - 1]
    if (contour.length > 1 && first && last?.isOnCurve && last.x === first.x && last.y === first.y) contour.pop()
    if (contour.length > 0) contours.push(contour)
    contour = []
  }
  const on = (x: number, y: number) => {
    contour.push({ x: Math.round(x), y: Math.round(y), isOnCurve: true })
    current = { x, y }
  }
  const off = (x: number, y: number) => contour.push({ x: Math.round(x), y: Math.round(y), isOnCurve: false })
  for (const { command, args } of (glyph.path as unknown as { commands: PathCommand[] }).commands) {
    switch (command) {
      case 'moveTo':
        closeContour()
        on(args[0] ?? 0, args[1] ?? 0)
        break
      case 'lineTo':
        on(args[0] ?? 0, args[1] ?? 0)
        break
      case 'quadraticCurveTo':
        off(args[0] ?? 0, args[1] ?? 0)
        on(args[2] ?? 0, args[3] ?? 0)
        break
      case 'bezierCurveTo': {
        const [x1 = 0, y1 = 0, x2 = 0, y2 = 0, x3 = 0, y3 = 0] = args
        const p0 = current
        for (let i = 0; i < CUBIC_SPLITS; i++) {
          const piece = cubicPiece([p0.x, p0.y, x1, y1, x2, y2, x3, y3], i / CUBIC_SPLITS, (i + 1) / CUBIC_SPLITS)
          // The quadratic closest to a cubic (a0, a1, a2, a3) has its control point at (3(a1 + a2) - a0 - a3) / 4.
          off((3 * (piece[2] + piece[4]) - piece[0] - piece[6]) / 4, (3 * (piece[3] + piece[5]) - piece[1] - piece[7]) / 4)
          on(piece[6], piece[7])
        }
        break
      }
      case 'closePath':
        closeContour()
        break
      default:
        throw new Error(`Unknown path command ${command}`)
    }
  }
  closeContour()
  const points = contours.flat()
  if (points.length === 0) return { data: Buffer.alloc(0), contours: 0, points: 0, xMin: 0, yMin: 0, xMax: 0, yMax: 0 }
  const xs = points.map((point) => point.x)
  const ys = points.map((point) => point.y)
  const box = { xMin: Math.min(...xs), yMin: Math.min(...ys), xMax: Math.max(...xs), yMax: Math.max(...ys) }
  const out = new Writer()
  out.i16(contours.length).i16(box.xMin).i16(box.yMin).i16(box.xMax).i16(box.yMax)
  let end = -1
  for (const each of contours) {
    end += each.length
    out.u16(end)
  }
  out.u16(0)
  for (const point of points) out.u8(point.isOnCurve ? 1 : 0)
  let previous = { x: 0, y: 0 }
  for (const point of points) {
    out.i16(point.x - previous.x)
    previous = point
  }
  previous = { x: 0, y: 0 }
  for (const point of points) {
    out.i16(point.y - previous.y)
    previous = point
  }
  return { data: out.bytes(4), contours: contours.length, points: points.length, ...box }
}

/** The part of a cubic Bézier between t0 and t1, as its four control points (x, y pairs). */
function cubicPiece(curve: number[], t0: number, t1: number): [number, number, number, number, number, number, number, number] {
  const at = (t: number, i: number) => {
    const [a = 0, b = 0, c = 0, d = 0] = [curve[i], curve[i + 2], curve[i + 4], curve[i + 6]]
    const u = 1 - t
    return u * u * u * a + 3 * u * u * t * b + 3 * u * t * t * c + t * t * t * d
  }
  const slope = (t: number, i: number) => {
    const [a = 0, b = 0, c = 0, d = 0] = [curve[i], curve[i + 2], curve[i + 4], curve[i + 6]]
    const u = 1 - t
    return 3 * u * u * (b - a) + 6 * u * t * (c - b) + 3 * t * t * (d - c)
  }
  const span = (t1 - t0) / 3
  const x0 = at(t0, 0)
  const y0 = at(t0, 1)
  const x3 = at(t1, 0)
  const y3 = at(t1, 1)
  return [x0, y0, x0 + slope(t0, 0) * span, y0 + slope(t0, 1) * span, x3 - slope(t1, 0) * span, y3 - slope(t1, 1) * span, x3, y3]
}

/** The sfnt container: table directory (tables sorted by tag, as the format asks) and 4-byte aligned tables. */
function writeFont(tables: Record<string, Buffer>): Uint8Array {
  const tags = Object.keys(tables).sort()
  const searchRange = 2 ** Math.floor(Math.log2(tags.length)) * 16
  const header = new Writer()
  header
    .u32(0x00010000)
    .u16(tags.length)
    .u16(searchRange)
    .u16(Math.floor(Math.log2(tags.length)))
    .u16(tags.length * 16 - searchRange)
  let offset = 12 + tags.length * 16
  const bodies: Buffer[] = []
  for (const tag of tags) {
    const table = tables[tag] ?? Buffer.alloc(0)
    const padded = Buffer.concat([table, Buffer.alloc((4 - (table.length % 4)) % 4)])
    header.tag(tag).u32(checksum(padded)).u32(offset).u32(table.length)
    bodies.push(padded)
    offset += padded.length
  }
  return new Uint8Array(Buffer.concat([header.bytes(), ...bodies]))
}

function checksum(data: Buffer): number {
  let sum = 0
  for (let i = 0; i < data.length; i += 4) sum = (sum + data.readUInt32BE(i)) >>> 0
  return sum
}

class Writer {
  private readonly parts: Buffer[] = []
  private push(size: number, write: (buffer: Buffer) => void): this {
    const buffer = Buffer.alloc(size)
    write(buffer)
    this.parts.push(buffer)
    return this
  }
  u8(value: number) {
    return this.push(1, (buffer) => buffer.writeUInt8(value))
  }
  u16(value: number) {
    return this.push(2, (buffer) => buffer.writeUInt16BE(value))
  }
  i16(value: number) {
    return this.push(2, (buffer) => buffer.writeInt16BE(Math.max(-32768, Math.min(32767, value))))
  }
  u32(value: number) {
    return this.push(4, (buffer) => buffer.writeUInt32BE(value >>> 0))
  }
  tag(value: string) {
    return this.push(4, (buffer) => buffer.write(value.padEnd(4, ' '), 'latin1'))
  }
  /** The bytes written, padded with zeros to a multiple of `alignment`. */
  bytes(alignment = 1): Buffer {
    const data = Buffer.concat(this.parts)
    return Buffer.concat([data, Buffer.alloc((alignment - (data.length % alignment)) % alignment)])
  }
}
