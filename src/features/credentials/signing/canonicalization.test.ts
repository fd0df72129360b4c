// 1EdTech's RDFC-1.0 test vectors for the Open Badges 3.0 example credential (openbadges-specification,
// ob_v3p0/impl/test-vectors/obv3p0, commit 1af145f). The example document is rebuilt from its quads.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite'
import { CREDENTIALS_V2_URL, createDocumentLoader } from './contexts.ts'

const vector = (name: string) => readFileSync(new URL(`./test-vectors/${name}`, import.meta.url), 'utf8')
const documentLoader = createDocumentLoader()

const exampleContext = [CREDENTIALS_V2_URL, 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json']

const exampleCredential = {
  '@context': exampleContext,
  id: 'http://example.com/credentials/3527',
  type: ['VerifiableCredential', 'OpenBadgeCredential'],
  issuer: { id: 'https://example.edu/issuers/565049', type: ['Profile'], name: 'Example Corp', url: 'https://www.imsglobal.org' },
  validFrom: '2010-01-01T00:00:00Z',
  name: 'Teamwork Badge',
  credentialSubject: {
    id: 'did:example:ebfeb1f712ebc6f1c276e12ec21',
    type: ['AchievementSubject'],
    achievement: {
      id: 'https://example.com/achievements/21st-century-skills/teamwork',
      type: ['Achievement'],
      criteria: { narrative: 'Team members are nominated for this badge by their peers and recognized upon review by Example Corp management.' },
      description: 'This badge recognizes the development of the capacity to collaborate within a group environment.',
      name: 'Teamwork',
    },
  },
}

const exampleProofOptions = {
  '@context': exampleContext,
  type: 'DataIntegrityProof',
  created: '2010-01-01T19:23:24Z',
  verificationMethod: 'https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi',
  cryptosuite: 'eddsa-rdfc-2022',
  proofPurpose: 'assertionMethod',
}

describe('RDFC-1.0 canonicalisation (1EdTech test vectors)', () => {
  it('gives the canonical N-Quads of the example credential', async () => {
    assert.equal(await eddsaRdfc2022.canonize(exampleCredential, { documentLoader }), vector('document-canon.txt'))
  })

  it('gives the canonical N-Quads of its proof options', async () => {
    assert.equal(await eddsaRdfc2022.canonize(exampleProofOptions, { documentLoader }), vector('proof-canon.txt'))
  })
})
