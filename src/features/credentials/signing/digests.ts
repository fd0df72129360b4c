import { createHash } from 'node:crypto'
import { decode as decodeBase58 } from 'base58-universal'

type Algorithm = 'sha256' | 'sha384' | 'sha512'
type Digest = { algorithm: Algorithm; value: Buffer }

/** What is known of a resource's bytes: whole files, or only the SHA-256 a publisher gives for them. */
export interface KnownContent {
  files: Buffer[]
  publishedSha256: Buffer[]
}

// Subresource Integrity: when several are given, only the strongest algorithm counts.
const STRENGTH: Record<Algorithm, number> = { sha256: 1, sha384: 2, sha512: 3 }
// Multihash codes of the SHA-2 functions (multicodec table), with their digest lengths.
const MULTIHASH: Record<number, { algorithm: Algorithm; length: number }> = {
  18: { algorithm: 'sha256', length: 32 },
  32: { algorithm: 'sha384', length: 48 },
  19: { algorithm: 'sha512', length: 64 },
}

/** The digests a `digestSRI` value (SRI metadata: `sha384-<base64>`, space-separated) declares; a problem when none can be read. */
export function parseSri(sri: string): Digest[] | string {
  const digests: Digest[] = []
  for (const token of sri.trim().split(/\s+/)) {
    const [algorithm, value] = (token.split('?')[0] ?? '').split('-', 2)
    if ((algorithm === 'sha256' || algorithm === 'sha384' || algorithm === 'sha512') && value) {
      digests.push({ algorithm, value: Buffer.from(value, 'base64') })
    }
  }
  if (digests.length === 0) return `"${sri}" is not SRI metadata with a sha256, sha384 or sha512 digest (such as sha384-<base64>).`
  const strongest = Math.max(...digests.map((digest) => STRENGTH[digest.algorithm]))
  return digests.filter((digest) => STRENGTH[digest.algorithm] === strongest)
}

/** The digest a `digestMultibase` value (a multibase multihash, base64url `u…` or base58btc `z…`) declares; a problem when it cannot be read. */
export function parseMultibase(multibase: string): Digest | string {
  let bytes: Buffer
  if (multibase.startsWith('u')) bytes = Buffer.from(multibase.slice(1), 'base64url')
  else if (multibase.startsWith('z')) {
    try {
      bytes = Buffer.from(decodeBase58(multibase.slice(1)))
    } catch {
      return `"${multibase}" is not valid base58btc.`
    }
  } else return `"${multibase}" must be multibase base64url (u…) or base58btc (z…).`
  const hash = MULTIHASH[bytes[0] ?? -1]
  if (!hash || bytes[1] !== hash.length || bytes.length !== hash.length + 2) {
    return `"${multibase}" is not a SHA-256, SHA-384 or SHA-512 multihash.`
  }
  return { algorithm: hash.algorithm, value: bytes.subarray(2) }
}

function matches(digests: Digest[], content: KnownContent): boolean {
  return digests.some(
    ({ algorithm, value }) =>
      content.files.some((file) => createHash(algorithm).update(file).digest().equals(value)) ||
      (algorithm === 'sha256' && content.publishedSha256.some((published) => published.equals(value))),
  )
}

/**
 * Checks that a relatedResource's `digestSRI` and `digestMultibase` are well-formed and, when its
 * content is known, match it; a sentence saying what is wrong, or undefined.
 */
export function digestProblem(resource: { digestSRI?: unknown; digestMultibase?: unknown }, content: KnownContent | undefined): string | undefined {
  const declared: [string, Digest[] | string][] = []
  if (typeof resource.digestSRI === 'string') declared.push(['digestSRI', parseSri(resource.digestSRI)])
  if (typeof resource.digestMultibase === 'string') {
    const digest = parseMultibase(resource.digestMultibase)
    declared.push(['digestMultibase', typeof digest === 'string' ? digest : [digest]])
  }
  for (const [property, digests] of declared) {
    if (typeof digests === 'string') return `${property}: ${digests}`
    if (content && !matches(digests, content)) return `${property} does not match the content`
  }
  return undefined
}
