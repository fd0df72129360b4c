import { eq } from 'drizzle-orm'
import type { Platform } from '../../../platform/platform.ts'
import { exportSubject } from '../../../platform/privacy/registry.ts'
import { countHeldCredentials, listHeldCredentials, renderCertificatePdf, signedCredentialFile } from '../../credentials/service.ts'
import { verifiedEmailsOf } from '../../identity/service.ts'
import { ZipBuilder } from './archive.ts'
import { dataExports } from './schema.ts'

const CREDENTIALS_PER_QUERY = 50
export const SIGNED_CREDENTIALS_FOLDER = 'signed-credentials'
export const CERTIFICATES_FOLDER = 'certificates'

type Progress = (done: number, total: number, message?: string) => Promise<void>

/** A provider's name as a file name: `identity` → `identity.json`. */
export function dataFileName(key: string): string {
  const kebab = key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()
  return `${kebab.replace(/[^a-z0-9-]+/g, '-')}.json`
}

function readme(exportedAt: Date, files: { name: string; description: string }[]): string {
  return [
    'Your data, as Laurel holds it',
    '',
    `Exported on ${exportedAt.toISOString()}.`,
    '',
    'Each .json file holds what one part of Laurel stores about you, in JSON (machine-readable).',
    'manifest.json lists every file with what it holds. Signed credential files (.json) verify on',
    'any Open Badges 3.0 verifier; the PDF certificates are the printable copies.',
    '',
    'Files:',
    ...files.map((file) => `  ${file.name}: ${file.description}`),
    '',
  ].join('\n')
}

/**
 * Builds the export's ZIP: one JSON file per privacy provider (from the registry's `exportSubject`),
 * the signed file and the PDF certificate of every credential issued to any of the person's verified
 * addresses, a manifest and a README; stores it encrypted. Idempotent: a finished export is left as
 * it is, a retried one is built again from the start.
 */
export async function buildDataExport(platform: Platform, exportId: string, progress: Progress): Promise<void> {
  const [row] = await platform.db.select().from(dataExports).where(eq(dataExports.id, exportId))
  // Gone: erased with the person, or expired and swept before the job ran.
  if (!row || row.status === 'ready') return
  const subject = { accountId: row.accountId, email: row.email }
  const emails = row.accountId ? [...new Set([row.email, ...(await verifiedEmailsOf(platform, row.accountId))])] : [row.email]

  const data = await exportSubject(platform.db, platform.privacyProviders, subject)
  const credentialCount = await countHeldCredentials(platform.db, emails)
  const total = Object.keys(data).length + 2 * credentialCount + 2
  const exportedAt = platform.clock.now()
  const zip = new ZipBuilder(exportedAt)
  const described: { name: string; description: string }[] = []
  const add = (name: string, content: string | Uint8Array, description: string) => {
    zip.add(name, content)
    described.push({ name, description })
  }
  await progress(0, total, 'Collecting your data')

  for (const [key, value] of Object.entries(data)) {
    const description = key === 'otherEmailAddresses' ? 'What is held under your other email addresses, by address' : `What “${key}” stores about you`
    add(dataFileName(key), JSON.stringify(value, null, 2), description)
  }
  await progress(zip.names.length, total, 'Adding your credentials')

  let afterId: string | undefined
  for (;;) {
    const rows = await listHeldCredentials(platform.db, emails, { afterId, limit: CREDENTIALS_PER_QUERY })
    for (const credential of rows) {
      const file = signedCredentialFile(credential)
      add(`${SIGNED_CREDENTIALS_FOLDER}/${file.fileName}`, file.content, 'A credential issued to you, as signed by its issuer')
      add(`${CERTIFICATES_FOLDER}/${credential.id}.pdf`, await renderCertificatePdf(platform, credential), 'Its PDF certificate')
      await progress(zip.names.length, total, 'Adding your credentials')
    }
    if (rows.length < CREDENTIALS_PER_QUERY) break
    afterId = rows.at(-1)?.id
  }

  const files = [
    ...described,
    { name: 'manifest.json', description: 'This list, in JSON' },
    { name: 'README.txt', description: 'What this archive holds, in words' },
  ]
  zip.add('manifest.json', JSON.stringify({ exportedAt, subject, files }, null, 2))
  zip.add('README.txt', readme(exportedAt, files))
  const bytes = zip.finish()
  // The bar reaches its end before the file is marked ready: whoever sees the link sees a full bar.
  await progress(zip.names.length, zip.names.length, 'Ready to download')
  await platform.db
    .update(dataExports)
    .set({
      status: 'ready',
      zipEncrypted: platform.keyring.encryptBytes(bytes),
      sizeBytes: bytes.length,
      fileCount: zip.names.length,
      completedAt: platform.clock.now(),
    })
    .where(eq(dataExports.id, exportId))
}
