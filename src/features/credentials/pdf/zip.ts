import { once } from 'node:events'
import { PassThrough, type Readable } from 'node:stream'
import { and, asc, count, eq } from 'drizzle-orm'
import { Zip, ZipPassThrough } from 'fflate'
import type { Platform } from '../../../platform/platform.ts'
import { type OrgScope, requireRole } from '../../orgs/service.ts'
import { getBulkIssuance } from '../issuance/bulk.ts'
import { credentials } from '../schema.ts'
import { renderCertificatePdf } from './renderer.ts'

/** PDFs per ZIP file: one part renders in about a minute and stays a download a browser handles well. */
export const CERTIFICATES_PER_ZIP = 1000
const CHUNK = 50

/** How many ZIP parts a bulk issuance's certificates make (0 when it issued nothing). */
export async function countCertificateZipParts(platform: Platform, scope: OrgScope, bulkIssuanceId: string): Promise<number> {
  const [row] = await platform.db
    .select({ total: count() })
    .from(credentials)
    .where(and(eq(credentials.orgId, scope.orgId), eq(credentials.bulkIssuanceId, bulkIssuanceId)))
  return Math.ceil((row?.total ?? 0) / CERTIFICATES_PER_ZIP)
}

/** A file name from a recipient's name: any script kept, characters file systems reject replaced, unique in the archive. */
export function certificateFileName(recipientName: string, fallback: string, taken: Set<string>): string {
  const base =
    recipientName
      .normalize('NFC')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must go
      .replace(/[\u0000-\u001f\u007f\\/:*?"<>|]+/g, '_')
      .replace(/^[\s.]+|[\s.]+$/g, '')
      .slice(0, 80) || fallback
  let name = `${base}.pdf`
  for (let i = 2; taken.has(name.toLowerCase()); i++) name = `${base} (${i}).pdf`
  taken.add(name.toLowerCase())
  return name
}

/**
 * The certificates of one part of a bulk issuance as a ZIP, streamed: each PDF is rendered, added
 * and sent before the next, so memory holds one certificate at a time. PDFs are stored, not deflated:
 * their streams are compressed already.
 */
export async function streamCertificateZip(platform: Platform, scope: OrgScope, bulkIssuanceId: string, part: number): Promise<Readable> {
  requireRole(scope, 'staff')
  await getBulkIssuance(platform, scope, bulkIssuanceId)
  const output = new PassThrough()
  const zip = new Zip((error, chunk, isFinal) => {
    if (error) output.destroy(error)
    else if (isFinal) output.end(chunk)
    else output.write(chunk)
  })
  const taken = new Set<string>()
  const fill = async () => {
    const first = (part - 1) * CERTIFICATES_PER_ZIP
    for (let offset = first; offset < first + CERTIFICATES_PER_ZIP; offset += CHUNK) {
      const rows = await platform.db
        .select()
        .from(credentials)
        .where(and(eq(credentials.orgId, scope.orgId), eq(credentials.bulkIssuanceId, bulkIssuanceId)))
        .orderBy(asc(credentials.id))
        .limit(Math.min(CHUNK, first + CERTIFICATES_PER_ZIP - offset))
        .offset(offset)
      for (const credential of rows) {
        if (output.destroyed) return
        // Erased credentials have no certificate any more.
        if (!credential.recipientName) continue
        const file = new ZipPassThrough(certificateFileName(credential.recipientName, credential.id, taken))
        file.mtime = credential.validFrom
        zip.add(file)
        file.push(await renderCertificatePdf(platform, credential), true)
        if (output.writableNeedDrain) await once(output, 'drain')
      }
      if (rows.length < CHUNK) break
    }
    zip.end()
  }
  fill().catch((error: unknown) => output.destroy(error instanceof Error ? error : new Error(String(error))))
  return output
}
