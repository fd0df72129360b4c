import { gunzipSync, gzipSync } from 'node:zlib'
import { CREDENTIALS_V2_URL } from './contexts.ts'

/**
 * Bits per list: the Bitstring Status List minimum (16 KiB), so one credential's status cannot be
 * told apart from its neighbours' by the size of the list it is in (herd privacy).
 */
export const STATUS_LIST_SIZE = 131072

export type StatusPurpose = 'revocation' | 'suspension'

export type BitstringStatusListEntry = {
  id: string
  type: 'BitstringStatusListEntry'
  statusPurpose: StatusPurpose
  statusListIndex: string
  statusListCredential: string
}

export type BitstringStatusListCredential = {
  '@context': [typeof CREDENTIALS_V2_URL]
  id: string
  type: ['VerifiableCredential', 'BitstringStatusListCredential']
  issuer: string
  validFrom: string
  validUntil?: string
  credentialSubject: {
    id: string
    type: 'BitstringStatusList'
    statusPurpose: StatusPurpose
    encodedList: string
  }
}

/** An XSD dateTime without milliseconds, as credentials usually carry. */
export function toDateTime(value: Date | string): string {
  const date = typeof value === 'string' ? new Date(value) : value
  if (Number.isNaN(date.getTime())) throw new RangeError(`Not a date: ${String(value)}.`)
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function assertIndex(index: number, size: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= size) throw new RangeError(`Status list index ${index} is not an integer from 0 to ${size - 1}.`)
}

/** GZIP, then base64url with the multibase prefix `u`; bit 0 is the most significant bit of the first byte. */
export function encodeStatusList(setIndexes: Iterable<number>, size: number = STATUS_LIST_SIZE): string {
  if (!Number.isInteger(size) || size < STATUS_LIST_SIZE || size % 8 !== 0) {
    throw new RangeError(`A status list has at least ${STATUS_LIST_SIZE} bits, a multiple of 8 (got ${size}).`)
  }
  const bits = new Uint8Array(size / 8)
  for (const index of setIndexes) {
    assertIndex(index, size)
    bits[index >> 3] = (bits[index >> 3] ?? 0) | (0x80 >> (index & 7))
  }
  return `u${gzipSync(bits).toString('base64url')}`
}

export function isBitSet(encodedList: string, index: number): boolean {
  if (!encodedList.startsWith('u')) throw new Error('An encoded status list starts with the multibase prefix "u".')
  const bits = gunzipSync(Buffer.from(encodedList.slice(1), 'base64url'))
  assertIndex(index, bits.length * 8)
  return ((bits[index >> 3] ?? 0) & (0x80 >> (index & 7))) !== 0
}

/** An unsigned BitstringStatusListCredential (VC 2.0) with the given bits set; sign it like any credential. */
export function createStatusListCredential(options: {
  id: string
  issuerDid: string
  purpose: StatusPurpose
  setIndexes: Iterable<number>
  validFrom: Date | string
  /** Verifiers may cache the list until then; leave it out for a list that never goes stale. */
  validUntil?: Date | string
  size?: number
}): BitstringStatusListCredential {
  const credential: BitstringStatusListCredential = {
    '@context': [CREDENTIALS_V2_URL],
    id: options.id,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: options.issuerDid,
    validFrom: toDateTime(options.validFrom),
    credentialSubject: {
      id: `${options.id}#list`,
      type: 'BitstringStatusList',
      statusPurpose: options.purpose,
      encodedList: encodeStatusList(options.setIndexes, options.size),
    },
  }
  if (options.validUntil !== undefined) credential.validUntil = toDateTime(options.validUntil)
  return credential
}

/** The `credentialStatus` entry pointing at one bit; `id` is required by the Open Badges 3.0 schema. */
export function statusEntry(options: { statusListCredentialUrl: string; index: number; purpose: StatusPurpose }): BitstringStatusListEntry {
  assertIndex(options.index, Number.MAX_SAFE_INTEGER)
  return {
    id: `${options.statusListCredentialUrl}#${options.index}`,
    type: 'BitstringStatusListEntry',
    statusPurpose: options.purpose,
    statusListIndex: String(options.index),
    statusListCredential: options.statusListCredentialUrl,
  }
}
