import sanitizeHtml from 'sanitize-html'
import { InvalidError } from '../../../platform/errors.ts'

export const MAX_IMAGE_BYTES = 1024 * 1024
const MIN_SIDE = 64
const MAX_SIDE = 2048
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

export interface CheckedImage {
  data: Buffer
  type: 'image/png' | 'image/svg+xml'
  width: number
  height: number
}

const fail = (message: string): never => {
  throw new InvalidError('invalid_image', message, { image: message })
}

/**
 * Accepts a PNG or SVG badge image after checking its real type (not the file name), size and
 * dimensions. SVGs are rebuilt from an allowlist of drawing elements: no script, no event
 * handlers, no external references, no foreignObject.
 */
export function checkImage(data: Buffer): CheckedImage {
  if (data.length === 0) fail('The image file is empty.')
  if (data.length > MAX_IMAGE_BYTES) fail(`The image is ${Math.ceil(data.length / 1024)} KB; the limit is ${MAX_IMAGE_BYTES / 1024} KB.`)
  if (data.subarray(0, 8).equals(PNG_SIGNATURE)) return checkPng(data)
  const text = data.toString('utf8')
  if (/<svg[\s>]/i.test(text)) return checkSvg(text)
  return fail('Upload a PNG or SVG image.')
}

function checkSides(width: number, height: number): void {
  if (!(width >= MIN_SIDE && height >= MIN_SIDE && width <= MAX_SIDE && height <= MAX_SIDE)) {
    fail(`The image is ${width}×${height} pixels; each side must be between ${MIN_SIDE} and ${MAX_SIDE}.`)
  }
}

function checkPng(data: Buffer): CheckedImage {
  if (data.length < 33 || data.toString('latin1', 12, 16) !== 'IHDR') fail('This PNG file is damaged.')
  const width = data.readUInt32BE(16)
  const height = data.readUInt32BE(20)
  checkSides(width, height)
  return { data, type: 'image/png', width, height }
}

const SVG_TAGS = [
  'svg',
  'g',
  'path',
  'circle',
  'ellipse',
  'rect',
  'line',
  'polyline',
  'polygon',
  'text',
  'tspan',
  'title',
  'desc',
  'defs',
  'lineargradient',
  'radialgradient',
  'stop',
  'clippath',
  'use',
  'symbol',
]
const SVG_ATTRIBUTES = [
  'xmlns',
  'viewbox',
  'width',
  'height',
  'x',
  'y',
  'x1',
  'x2',
  'y1',
  'y2',
  'cx',
  'cy',
  'r',
  'rx',
  'ry',
  'd',
  'points',
  'fill',
  'fill-opacity',
  'fill-rule',
  'stroke',
  'stroke-width',
  'stroke-linecap',
  'stroke-linejoin',
  'stroke-opacity',
  'opacity',
  'transform',
  'id',
  'offset',
  'stop-color',
  'stop-opacity',
  'gradientunits',
  'gradienttransform',
  'font-family',
  'font-size',
  'font-weight',
  'text-anchor',
  'dominant-baseline',
  'clip-path',
  'href',
  'preserveaspectratio',
]

function checkSvg(text: string): CheckedImage {
  const clean = sanitizeHtml(text, {
    allowedTags: SVG_TAGS,
    allowedAttributes: { '*': SVG_ATTRIBUTES },
    parser: { lowerCaseTags: false, lowerCaseAttributeNames: false, xmlMode: true },
    allowedSchemes: [],
    allowedSchemesAppliedToAttributes: ['href'],
    allowProtocolRelative: false,
    exclusiveFilter: (frame) => frame.tag.toLowerCase() === 'use' && !String(frame.attribs.href ?? '').startsWith('#'),
  })
  const root = /<svg\b[^>]*>/i.exec(clean)?.[0] ?? ''
  const attribute = (name: string) => new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(root)?.[1]
  const viewBox = attribute('viewBox')
    ?.split(/[\s,]+/)
    .map(Number)
  const width = Number.parseFloat(attribute('width') ?? '') || viewBox?.[2] || 0
  const height = Number.parseFloat(attribute('height') ?? '') || viewBox?.[3] || 0
  if (!root) fail('This SVG has no <svg> element.')
  checkSides(Math.round(width), Math.round(height))
  const withNamespace = /\sxmlns=/.test(root) ? clean : clean.replace(/<svg\b/i, '<svg xmlns="http://www.w3.org/2000/svg"')
  return { data: Buffer.from(withNamespace, 'utf8'), type: 'image/svg+xml', width: Math.round(width), height: Math.round(height) }
}
