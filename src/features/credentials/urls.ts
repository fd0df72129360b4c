import type { Config } from '../../config.ts'

/** Where a link to a public credential page was placed; its `?via=` tells the analytics where a visitor came from. */
export const LINK_SOURCES = ['email', 'linkedin', 'x', 'share', 'embed'] as const
export type LinkSource = (typeof LINK_SOURCES)[number]

/** Public, stable URLs of what credentials point at; they embed unguessable IDs only. */
export function publicUrls(config: Config) {
  const at = (path: string) => new URL(path, config.publicUrl).toString()
  return {
    credential: (credentialId: string) => at(`/credentials/${credentialId}`),
    /** The public page as linked from `source`, e.g. the delivery email's link is `credentialVia(id, 'email')`. */
    credentialVia: (credentialId: string, source: LinkSource) => at(`/credentials/${credentialId}?via=${source}`),
    credentialJson: (credentialId: string) => at(`/credentials/${credentialId}.json`),
    /** The PDF certificate (pdf/pages.tsx serves it); `?download=1` asks for an attachment. */
    credentialPdf: (credentialId: string) => at(`/credentials/${credentialId}.pdf`),
    achievement: (achievementId: string) => at(`/achievements/${achievementId}`),
    achievementImage: (achievementId: string) => at(`/achievements/${achievementId}/image`),
    statusList: (statusListId: string) => at(`/status-lists/${statusListId}`),
    site: () => at('/'),
  }
}
