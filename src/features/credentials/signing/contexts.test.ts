import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { BUNDLED_CONTEXTS, createDocumentLoader } from './contexts.ts'
import { buildDidDocument, didKeyFor, generateIssuerKey } from './keys.ts'
import { signCredential } from './sign.ts'
import { didKeySigner, openBadgeCredential } from './test-fixtures.ts'

const REQUIRED_CONTEXTS = [
  'https://www.w3.org/2018/credentials/v1',
  'https://www.w3.org/ns/credentials/v2',
  'https://w3id.org/security/data-integrity/v1',
  'https://w3id.org/security/data-integrity/v2',
  'https://w3id.org/security/multikey/v1',
  'https://www.w3.org/ns/did/v1',
  'https://w3id.org/security/suites/ed25519-2020/v1',
  'https://purl.imsglobal.org/spec/ob/v3p0/context.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json',
  'https://www.w3.org/ns/credentials/status/v1',
  'https://www.w3.org/ns/credentials/examples/v2',
  'https://w3id.org/dcc/v1',
]

describe('createDocumentLoader', () => {
  let originalFetch: typeof fetch
  const fetched: string[] = []
  beforeEach(() => {
    originalFetch = globalThis.fetch
    globalThis.fetch = async (input) => {
      fetched.push(String(input))
      throw new Error('no network in tests')
    }
  })
  afterEach(() => {
    globalThis.fetch = originalFetch
    assert.deepEqual(fetched, [], 'the loader fetched something')
  })

  it('serves every bundled context, marked static so jsonld.js caches it', async () => {
    const loader = createDocumentLoader()
    for (const url of REQUIRED_CONTEXTS) {
      assert.ok(BUNDLED_CONTEXTS.has(url), url)
      const loaded = await loader(url)
      assert.equal(loaded.documentUrl, url)
      assert.equal(loaded.tag, 'static')
      assert.ok('@context' in loaded.document, url)
    }
  })

  it('resolves a did:key and its key locally', async () => {
    const { publicKeyMultibase } = await generateIssuerKey()
    const did = didKeyFor(publicKeyMultibase)
    const loader = createDocumentLoader()
    const didDocument = (await loader(did)).document
    assert.equal(didDocument.id, did)
    assert.deepEqual(didDocument.assertionMethod, [`${did}#${publicKeyMultibase}`])
    const key = (await loader(`${did}#${publicKeyMultibase}`)).document
    assert.equal(key.type, 'Multikey')
    assert.equal(key.controller, did)
    assert.equal(key.publicKeyMultibase, publicKeyMultibase)
  })

  it('asks resolveDid for did:web DIDs and picks keys out of the document', async () => {
    const did = 'did:web:laurel.example:issuers:org_1'
    const { publicKeyMultibase } = await generateIssuerKey()
    const asked: string[] = []
    const loader = createDocumentLoader({
      resolveDid: async (requested) => {
        asked.push(requested)
        return requested === did ? buildDidDocument({ did, keys: [{ id: 'ikey_1', publicKeyMultibase }] }) : undefined
      },
    })
    assert.equal((await loader(did)).document.id, did)
    const key = (await loader(`${did}#ikey_1`)).document
    assert.equal(key.id, `${did}#ikey_1`)
    assert.equal(key.controller, did)
    assert.equal(key.publicKeyMultibase, publicKeyMultibase)
    assert.deepEqual(asked, [did, did])
    await assert.rejects(loader(`${did}#ikey_2`), /has no verification method did:web:laurel\.example:issuers:org_1#ikey_2/)
    await assert.rejects(loader('did:web:elsewhere.example'), /Cannot resolve did:web:elsewhere\.example: it is not a DID this server knows/)
  })

  it('rejects a DID document that names another DID', async () => {
    const loader = createDocumentLoader({ resolveDid: async () => ({ id: 'did:web:other.example' }) })
    await assert.rejects(loader('did:web:laurel.example'), /names another DID/)
  })

  it('asks resolveDocument for anything else and never fetches', async () => {
    const statusList = { id: 'https://laurel.example/status-lists/sl_1' }
    const loader = createDocumentLoader({ resolveDocument: async (url) => (url === statusList.id ? statusList : undefined) })
    assert.equal((await loader(statusList.id)).document, statusList)
    await assert.rejects(loader('https://example.org/unknown-context.jsonld'), /nothing is fetched from the network/)
    await assert.rejects(createDocumentLoader()('https://www.w3.org/2018/credentials/examples/v1'), /nothing is fetched/)
    await assert.rejects(loader('did:example:123'), /only did:key and did:web/)
  })

  it('keeps JSON-LD safe mode: a term no context defines cannot be signed', async () => {
    const signer = await didKeySigner()
    const credential = { ...openBadgeCredential({ issuerDid: signer.did }), favouriteColour: 'teal' }
    await assert.rejects(signCredential(credential, signer, createDocumentLoader()), /Safe mode validation error|invalid property/i)
  })

  it('fails on a context that is not bundled instead of fetching it', async () => {
    const signer = await didKeySigner()
    const credential = openBadgeCredential({ issuerDid: signer.did })
    credential['@context'] = [...(credential['@context'] as string[]), 'https://w3id.org/vc/status-list/2021/v1']
    await assert.rejects(signCredential(credential, signer, createDocumentLoader()), /status-list\/2021\/v1/)
  })
})
