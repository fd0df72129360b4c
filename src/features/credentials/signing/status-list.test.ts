import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeList } from '@digitalbazaar/vc-bitstring-status-list'
import fc from 'fast-check'
import { createStatusListCredential, encodeStatusList, isBitSet, STATUS_LIST_SIZE, statusEntry } from './status-list.ts'

describe('status lists', () => {
  it('has the minimum size the Bitstring Status List spec sets', () => {
    assert.equal(STATUS_LIST_SIZE, 131072)
    assert.throws(() => encodeStatusList([], 1024), /at least 131072 bits/)
  })

  it('createStatusListCredential makes an unsigned VC 2.0 BitstringStatusListCredential', () => {
    const credential = createStatusListCredential({
      id: 'https://laurel.example/status-lists/sl_1',
      issuerDid: 'did:web:laurel.example:issuers:org_1',
      purpose: 'suspension',
      setIndexes: [3, 131071],
      validFrom: new Date('2026-11-23T10:00:00.123Z'),
    })
    assert.deepEqual(
      { ...credential, credentialSubject: { ...credential.credentialSubject, encodedList: '…' } },
      {
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        id: 'https://laurel.example/status-lists/sl_1',
        type: ['VerifiableCredential', 'BitstringStatusListCredential'],
        issuer: 'did:web:laurel.example:issuers:org_1',
        validFrom: '2026-11-23T10:00:00Z',
        credentialSubject: { id: 'https://laurel.example/status-lists/sl_1#list', type: 'BitstringStatusList', statusPurpose: 'suspension', encodedList: '…' },
      },
    )
    const { encodedList } = credential.credentialSubject
    assert.match(encodedList, /^uH4sI/, 'multibase base64url of a GZIP stream')
    assert.equal(isBitSet(encodedList, 3), true)
    assert.equal(isBitSet(encodedList, 131071), true)
    assert.equal(isBitSet(encodedList, 4), false)
  })

  it('encodes bits exactly as @digitalbazaar/vc-bitstring-status-list decodes them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: STATUS_LIST_SIZE - 1 }), { maxLength: 40 }), async (indexes) => {
        const encodedList = encodeStatusList(indexes)
        const list = await decodeList({ encodedList })
        assert.equal(list.length, STATUS_LIST_SIZE)
        const probes = [...indexes, 0, 1, 7, 8, STATUS_LIST_SIZE - 1, ...indexes.map((index) => (index + 1) % STATUS_LIST_SIZE)]
        for (const index of probes) {
          assert.equal(list.getStatus(index), indexes.includes(index), `bit ${index}`)
          assert.equal(isBitSet(encodedList, index), indexes.includes(index), `bit ${index}`)
        }
      }),
      { numRuns: 30 },
    )
  })

  it('rejects indexes outside the list', () => {
    assert.throws(() => encodeStatusList([STATUS_LIST_SIZE]), /not an integer from 0 to 131071/)
    assert.throws(() => encodeStatusList([-1]), RangeError)
    assert.throws(() => encodeStatusList([1.5]), RangeError)
    assert.throws(() => isBitSet(encodeStatusList([]), STATUS_LIST_SIZE), RangeError)
    assert.throws(() => isBitSet('H4sIAAAAAAAA', 0), /multibase prefix "u"/)
  })

  it('statusEntry points at one bit of a list, with the id the OB 3.0 schema requires', () => {
    assert.deepEqual(statusEntry({ statusListCredentialUrl: 'https://laurel.example/status-lists/sl_1', index: 94567, purpose: 'revocation' }), {
      id: 'https://laurel.example/status-lists/sl_1#94567',
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: '94567',
      statusListCredential: 'https://laurel.example/status-lists/sl_1',
    })
  })
})
