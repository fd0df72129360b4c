import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pngOfSize } from '../../../../test/support/images.ts'
import { InvalidError } from '../../../platform/errors.ts'
import { renderMarkdown } from '../markdown.ts'
import { checkImage } from './images.ts'

describe('badge images', () => {
  it('accepts a PNG by its bytes and reads its size', () => {
    const image = checkImage(pngOfSize(256, 256))
    assert.equal(image.type, 'image/png')
    assert.equal(image.width, 256)
  })

  it('refuses wrong sizes, other types and oversized files with what to fix', () => {
    assert.throws(() => checkImage(pngOfSize(16, 16)), /between 64 and 2048/)
    assert.throws(() => checkImage(Buffer.from('GIF89a....')), /PNG or SVG/)
    assert.throws(
      () => checkImage(Buffer.alloc(2 * 1024 * 1024, 1)),
      (error: unknown) => error instanceof InvalidError && /limit is 1024 KB/.test(error.message),
    )
  })

  it('strips scripts, event handlers, foreign objects and external references from SVGs', () => {
    const hostile = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" onload="alert(1)">
      <script>alert(2)</script><circle cx="64" cy="64" r="60" fill="gold" onclick="alert(3)"/>
      <foreignObject><iframe src="https://evil.example"></iframe></foreignObject>
      <use href="https://evil.example/x.svg#a"/><use href="#local"/><a href="javascript:alert(4)"><text>x</text></a></svg>`
    const image = checkImage(Buffer.from(hostile))
    const text = image.data.toString('utf8')
    assert.equal(image.type, 'image/svg+xml')
    assert.doesNotMatch(text, /script|onload|onclick|foreignObject|iframe|evil\.example|javascript:/i)
    assert.match(text, /<circle/)
    assert.match(text, /href="#local"/)
  })
})

describe('criteria Markdown', () => {
  it('renders Markdown and removes anything executable', () => {
    const html = renderMarkdown('**Pass** the [exam](https://example.org).\n\n<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))')
    assert.match(html, /<strong>Pass<\/strong>/)
    assert.match(html, /<a href="https:\/\/example.org" rel="noopener noreferrer nofollow">exam<\/a>/)
    assert.doesNotMatch(html, /<script|onerror=|href="javascript:|<img/)
  })
})
