import type { Db } from '../../../platform/db/client.ts'
import type { Platform } from '../../../platform/platform.ts'
import type { CredentialRow } from '../issuance/issuance.ts'

/** pdf-lib and fontkit take about a second to load: they come with the first certificate, not at every start. */
export const loadRenderer = () => import('./render.ts')

export async function renderCertificatePdf(platform: Platform, credential: CredentialRow, db: Db = platform.db): Promise<Uint8Array> {
  return (await loadRenderer()).renderCertificatePdf(platform, credential, db)
}
