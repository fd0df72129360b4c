import type { Platform } from '../../platform/platform.ts'
import { didDocumentOf, findOrgOfDid } from './issuance/issuer.ts'
import { createDocumentLoader, type DocumentLoader } from './signing/contexts.ts'
import { getStatusListDocument } from './status.ts'

const MAX_REMOTE_BYTES = 1024 * 1024
const REMOTE_TIMEOUT_MS = 5000
const loaders = new WeakMap<Platform, DocumentLoader>()

/**
 * The JSON-LD document loader for signing and verifying: bundled contexts, our own DID documents and
 * status lists straight from the database, and, for other issuers, their did:web documents and status
 * lists over https (bounded in time and size). Contexts are never fetched.
 */
export function documentLoader(platform: Platform): DocumentLoader {
  let loader = loaders.get(platform)
  if (!loader) {
    const statusListPrefix = new URL('/status-lists/', platform.config.publicUrl).toString()
    loader = createDocumentLoader({
      resolveDid: async (did) => {
        const orgId = await findOrgOfDid(platform, did)
        if (orgId !== undefined) return didDocumentOf(platform, orgId)
        return did.startsWith('did:web:') ? fetchJson(didWebUrl(did)) : undefined
      },
      resolveDocument: async (url) => {
        if (url.startsWith(statusListPrefix)) return getStatusListDocument(platform, url.slice(statusListPrefix.length))
        return url.startsWith('https://') ? fetchJson(url) : undefined
      },
    })
    loaders.set(platform, loader)
  }
  return loader
}

/** `loader`, except that `url` gives `document`, already at hand. */
export function withDocument(loader: DocumentLoader, url: string, document: Record<string, unknown>): DocumentLoader {
  return async (requested) => (requested === url ? { contextUrl: null, documentUrl: url, document } : loader(requested))
}

/** did:web:example.com:path:to → https://example.com/path/to/did.json (no path: /.well-known/did.json). */
export function didWebUrl(did: string): string {
  const [host = '', ...path] = did.slice('did:web:'.length).split(':').map(decodeURIComponent)
  return path.length > 0 ? `https://${host}/${path.join('/')}/did.json` : `https://${host}/.well-known/did.json`
}

async function fetchJson(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(REMOTE_TIMEOUT_MS), headers: { accept: 'application/json, application/ld+json' } })
    if (!response.ok) return undefined
    const text = await response.text()
    return text.length > MAX_REMOTE_BYTES ? undefined : (JSON.parse(text) as Record<string, unknown>)
  } catch {
    return undefined
  }
}
