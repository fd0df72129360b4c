import type { Config } from '../../config.ts'

/** Public, stable URLs of what credentials point at; they embed unguessable IDs only. */
export function publicUrls(config: Config) {
  const at = (path: string) => new URL(path, config.publicUrl).toString()
  return {
    credential: (credentialId: string) => at(`/credentials/${credentialId}`),
    credentialJson: (credentialId: string) => at(`/credentials/${credentialId}.json`),
    /** The PDF certificate (pdf/pages.tsx serves it); `?download=1` asks for an attachment. */
    credentialPdf: (credentialId: string) => at(`/credentials/${credentialId}.pdf`),
    achievement: (achievementId: string) => at(`/achievements/${achievementId}`),
    achievementImage: (achievementId: string) => at(`/achievements/${achievementId}/image`),
    statusList: (statusListId: string) => at(`/status-lists/${statusListId}`),
    site: () => at('/'),
  }
}
