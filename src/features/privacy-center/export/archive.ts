import { strToU8, Zip, ZipDeflate, ZipPassThrough } from 'fflate'

/**
 * A ZIP built in memory, file by file. PDFs are stored, not deflated: their streams are compressed
 * already. fflate's synchronous entries hand every chunk over before `add` returns.
 */
export class ZipBuilder {
  private readonly chunks: Uint8Array[] = []
  private failure: Error | null = null
  private readonly zip = new Zip((error, chunk) => {
    if (error) this.failure = error
    else this.chunks.push(chunk)
  })
  readonly names: string[] = []

  constructor(private readonly mtime: Date) {}

  add(name: string, content: string | Uint8Array): void {
    const file = name.endsWith('.pdf') ? new ZipPassThrough(name) : new ZipDeflate(name, { level: 6 })
    file.mtime = this.mtime
    this.zip.add(file)
    file.push(typeof content === 'string' ? strToU8(content) : content, true)
    this.names.push(name)
    if (this.failure) throw this.failure
  }

  finish(): Buffer {
    this.zip.end()
    if (this.failure) throw this.failure
    return Buffer.concat(this.chunks)
  }
}
