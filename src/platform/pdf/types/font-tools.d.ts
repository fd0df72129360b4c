// Font tool packages that ship no type declarations; only what Laurel calls is declared.

declare module 'fontverter' {
  const fontverter: { convert(font: Buffer, format: 'sfnt' | 'truetype' | 'woff' | 'woff2'): Promise<Buffer> }
  export default fontverter
}

declare module 'subset-font' {
  /** A font holding only the glyphs `text` needs, layout (GSUB/GPOS) closure included, via HarfBuzz's hb-subset. */
  export default function subsetFont(font: Buffer, text: string, options?: { targetFormat?: 'sfnt' | 'woff' | 'woff2' }): Promise<Buffer>
}
