/**
 * RDFC-1.0 canonical N-Quads of the OpenBadgeCredential shape Laurel issues, and of its proof
 * options, written directly instead of through JSON-LD expansion and the general canonicalisation
 * algorithm (about 90 % of the time an eddsa-rdfc-2022 signature takes).
 *
 * It only handles documents it fully understands: the exact @context, known properties with values
 * of the expected kinds, IRIs free of characters N-Quads would escape, blank nodes whose first-degree
 * hashes differ. For anything else it returns undefined and the caller uses the general algorithm;
 * the property test proves byte-identity with rdf-canonize over random documents of this shape.
 */
import { createHash } from 'node:crypto'
import type { Cryptosuite } from '@digitalbazaar/data-integrity'
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite'
import { CREDENTIALS_V2_URL, type JsonObject, OPEN_BADGES_V3_URL } from './contexts.ts'

const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type'
const CRED = 'https://www.w3.org/2018/credentials#'
const OB = 'https://purl.imsglobal.org/spec/vc/ob/vocab.html#'
const SCHEMA = 'https://schema.org/'
const STATUS = 'https://www.w3.org/ns/credentials/status#'
const SEC = 'https://w3id.org/security#'
const XSD_DATE_TIME = 'http://www.w3.org/2001/XMLSchema#dateTime'
// The Open Badges context types these with an https XML Schema namespace; the quads must say the same.
const OB_XSD_BOOLEAN = 'https://www.w3.org/2001/XMLSchema#boolean'
const OB_XSD_ANY_URI = 'https://www.w3.org/2001/XMLSchema#anyURI'

type Term = { iri: string } | { blank: number } | { literal: string; datatype?: string }
type Quad = { subject: Term; predicate: string; object: Term }

/** Raised inside the builder when the document leaves the supported shape; never escapes this module. */
class UnsupportedShape extends Error {}

function unsupported(): never {
  throw new UnsupportedShape()
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// Absolute IRIs with a scheme no context defines as a prefix, and no character N-Quads escapes.
const SAFE_IRI =
  /^(?:https?:\/\/[A-Za-z0-9.-]+(?::\d+)?(?:\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?|did:[a-z0-9]+:[A-Za-z0-9._:%-]+|urn:[A-Za-z0-9][A-Za-z0-9-]*:[A-Za-z0-9._~!$&'()*+,;=:@%/-]+)(?:#[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$/

function iri(value: unknown): { iri: string } {
  return typeof value === 'string' && SAFE_IRI.test(value) ? { iri: value } : unsupported()
}

function text(value: unknown, datatype?: string): Term {
  if (typeof value !== 'string') unsupported()
  return datatype === undefined ? { literal: value } : { literal: value, datatype }
}

function object(value: unknown, keys: { required: string[]; optional: string[] }): JsonObject {
  if (!isObject(value)) unsupported()
  for (const key of keys.required) if (!(key in value)) unsupported()
  for (const key of Object.keys(value)) if (!keys.required.includes(key) && !keys.optional.includes(key)) unsupported()
  return value
}

/** A single type, given as the term or as a one-element array. */
function expectType(value: unknown, term: string): void {
  const types = Array.isArray(value) ? value : [value]
  if (types.length !== 1 || types[0] !== term) unsupported()
}

class QuadBuilder {
  readonly quads: Quad[] = []
  #blankNodes = 0

  blank(): { blank: number } {
    return { blank: this.#blankNodes++ }
  }

  add(subject: Term, predicate: string, value: Term): void {
    this.quads.push({ subject, predicate, object: value })
  }

  optional(subject: Term, predicate: string, value: unknown, datatype?: string): void {
    if (value !== undefined) this.add(subject, predicate, text(value, datatype))
  }
}

function addIssuer(builder: QuadBuilder, credential: Term, value: unknown): void {
  if (typeof value === 'string') {
    builder.add(credential, `${CRED}issuer`, iri(value))
    return
  }
  const issuer = object(value, { required: ['id', 'type'], optional: ['name', 'url'] })
  const node = iri(issuer.id)
  expectType(issuer.type, 'Profile')
  builder.add(credential, `${CRED}issuer`, node)
  builder.add(node, RDF_TYPE, { iri: `${OB}Profile` })
  builder.optional(node, `${SCHEMA}name`, issuer.name)
  builder.optional(node, `${SCHEMA}url`, issuer.url, OB_XSD_ANY_URI)
}

function addAchievement(builder: QuadBuilder, subject: Term, value: unknown): void {
  const achievement = object(value, { required: ['id', 'type', 'name', 'description', 'criteria'], optional: ['image', 'tag', 'alignment'] })
  const node = iri(achievement.id)
  expectType(achievement.type, 'Achievement')
  builder.add(subject, `${OB}achievement`, node)
  builder.add(node, RDF_TYPE, { iri: `${OB}Achievement` })
  builder.add(node, `${SCHEMA}name`, text(achievement.name))
  builder.add(node, `${SCHEMA}description`, text(achievement.description))
  const criteria = object(achievement.criteria, { required: [], optional: ['id', 'narrative'] })
  const criteriaNode = criteria.id === undefined ? builder.blank() : iri(criteria.id)
  builder.add(node, `${OB}Criteria`, criteriaNode)
  builder.optional(criteriaNode, `${OB}narrative`, criteria.narrative)
  if (achievement.image !== undefined) {
    const image = object(achievement.image, { required: ['id', 'type'], optional: ['caption'] })
    const imageNode = iri(image.id)
    expectType(image.type, 'Image')
    builder.add(node, `${OB}image`, imageNode)
    builder.add(imageNode, RDF_TYPE, { iri: `${OB}Image` })
    builder.optional(imageNode, `${SCHEMA}caption`, image.caption)
  }
  if (achievement.tag !== undefined) {
    // RDF keeps one quad per distinct value; repeated tags would need the same de-duplication here.
    if (!Array.isArray(achievement.tag) || new Set(achievement.tag).size !== achievement.tag.length) unsupported()
    for (const tag of achievement.tag) builder.add(node, `${SCHEMA}keywords`, text(tag))
  }
  if (achievement.alignment !== undefined) {
    if (!Array.isArray(achievement.alignment)) unsupported()
    for (const entry of achievement.alignment) {
      const alignment = object(entry, { required: ['type', 'targetName', 'targetUrl'], optional: ['targetFramework', 'targetCode'] })
      expectType(alignment.type, 'Alignment')
      const alignmentNode = builder.blank()
      builder.add(node, `${OB}alignment`, alignmentNode)
      builder.add(alignmentNode, RDF_TYPE, { iri: `${SCHEMA}AlignmentObject` })
      builder.add(alignmentNode, `${SCHEMA}targetName`, text(alignment.targetName))
      builder.add(alignmentNode, `${SCHEMA}targetUrl`, text(alignment.targetUrl, OB_XSD_ANY_URI))
      builder.optional(alignmentNode, `${SCHEMA}targetFramework`, alignment.targetFramework)
      builder.optional(alignmentNode, `${OB}targetCode`, alignment.targetCode)
    }
  }
}

function addSubject(builder: QuadBuilder, credential: Term, value: unknown): void {
  const subject = object(value, { required: ['type', 'achievement'], optional: ['id', 'name', 'identifier'] })
  const node = subject.id === undefined ? builder.blank() : iri(subject.id)
  expectType(subject.type, 'AchievementSubject')
  builder.add(credential, `${CRED}credentialSubject`, node)
  builder.add(node, RDF_TYPE, { iri: `${OB}AchievementSubject` })
  builder.optional(node, `${SCHEMA}name`, subject.name)
  if (subject.identifier !== undefined) {
    if (!Array.isArray(subject.identifier)) unsupported()
    for (const entry of subject.identifier) {
      const identity = object(entry, { required: ['type', 'identityHash', 'identityType', 'hashed'], optional: ['salt'] })
      expectType(identity.type, 'IdentityObject')
      if (typeof identity.hashed !== 'boolean') unsupported()
      const identityNode = builder.blank()
      builder.add(node, `${OB}identifier`, identityNode)
      builder.add(identityNode, RDF_TYPE, { iri: `${OB}IdentityObject` })
      builder.add(identityNode, `${OB}identityHash`, text(identity.identityHash))
      builder.add(identityNode, `${OB}identityType`, text(identity.identityType))
      builder.add(identityNode, `${OB}hashed`, { literal: String(identity.hashed), datatype: OB_XSD_BOOLEAN })
      builder.optional(identityNode, `${OB}salt`, identity.salt)
    }
  }
  addAchievement(builder, node, subject.achievement)
}

function addStatus(builder: QuadBuilder, credential: Term, value: unknown): void {
  for (const entry of Array.isArray(value) ? value : [value]) {
    const status = object(entry, { required: ['id', 'type', 'statusPurpose', 'statusListIndex', 'statusListCredential'], optional: [] })
    expectType(status.type, 'BitstringStatusListEntry')
    const node = iri(status.id)
    builder.add(credential, `${CRED}credentialStatus`, node)
    builder.add(node, RDF_TYPE, { iri: `${STATUS}BitstringStatusListEntry` })
    builder.add(node, `${STATUS}statusPurpose`, text(status.statusPurpose))
    builder.add(node, `${STATUS}statusListIndex`, text(status.statusListIndex))
    builder.add(node, `${STATUS}statusListCredential`, iri(status.statusListCredential))
  }
}

function isOpenBadgesContext(value: unknown): boolean {
  return Array.isArray(value) && value.length === 2 && value[0] === CREDENTIALS_V2_URL && value[1] === OPEN_BADGES_V3_URL
}

function credentialQuads(document: JsonObject): Quad[] {
  const credential = object(document, {
    required: ['@context', 'id', 'type', 'issuer', 'credentialSubject'],
    optional: ['name', 'validFrom', 'validUntil', 'credentialStatus'],
  })
  const types = credential.type
  if (!Array.isArray(types) || types.length !== 2 || !types.includes('VerifiableCredential') || !types.includes('OpenBadgeCredential')) unsupported()
  const builder = new QuadBuilder()
  const node = iri(credential.id)
  builder.add(node, RDF_TYPE, { iri: `${CRED}VerifiableCredential` })
  builder.add(node, RDF_TYPE, { iri: `${OB}OpenBadgeCredential` })
  builder.optional(node, `${SCHEMA}name`, credential.name)
  builder.optional(node, `${CRED}validFrom`, credential.validFrom, XSD_DATE_TIME)
  builder.optional(node, `${CRED}validUntil`, credential.validUntil, XSD_DATE_TIME)
  addIssuer(builder, node, credential.issuer)
  addSubject(builder, node, credential.credentialSubject)
  if (credential.credentialStatus !== undefined) addStatus(builder, node, credential.credentialStatus)
  return builder.quads
}

/** The proof options DataIntegrityProof canonicalises, with the document's @context put in front. */
function proofOptionsQuads(document: JsonObject): Quad[] {
  const proof = object(document, { required: ['@context', 'type', 'created', 'verificationMethod', 'cryptosuite', 'proofPurpose'], optional: [] })
  if (proof.type !== 'DataIntegrityProof' || proof.cryptosuite !== 'eddsa-rdfc-2022' || proof.proofPurpose !== 'assertionMethod') unsupported()
  const builder = new QuadBuilder()
  const node = builder.blank()
  builder.add(node, 'http://purl.org/dc/terms/created', text(proof.created, XSD_DATE_TIME))
  builder.add(node, RDF_TYPE, { iri: `${SEC}DataIntegrityProof` })
  builder.add(node, `${SEC}cryptosuite`, { literal: 'eddsa-rdfc-2022', datatype: `${SEC}cryptosuiteString` })
  builder.add(node, `${SEC}proofPurpose`, { iri: `${SEC}assertionMethod` })
  builder.add(node, `${SEC}verificationMethod`, iri(proof.verificationMethod))
  return builder.quads
}

// N-Quads literal escapes, as RDFC-1.0 (and rdf-canonize) write them.
const LITERAL_ESCAPES: Record<string, string> = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r', '"': '\\"', '\\': '\\\\' }

function escapeLiteral(value: string): string {
  return value.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what N-Quads escapes
    /[\u0000-\u001F\u007F"\\]/g,
    (character) => LITERAL_ESCAPES[character] ?? `\\u${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  )
}

function serializeTerm(term: Term, label: (blank: number) => string): string {
  if ('iri' in term) return `<${term.iri}>`
  if ('blank' in term) return `_:${label(term.blank)}`
  return term.datatype === undefined ? `"${escapeLiteral(term.literal)}"` : `"${escapeLiteral(term.literal)}"^^<${term.datatype}>`
}

function serializeQuad(quad: Quad, label: (blank: number) => string): string {
  return `${serializeTerm(quad.subject, label)} <${quad.predicate}> ${serializeTerm(quad.object, label)} .\n`
}

function mentions(quad: Quad, blank: number): boolean {
  return ('blank' in quad.subject && quad.subject.blank === blank) || ('blank' in quad.object && quad.object.blank === blank)
}

/** RDFC-1.0 for datasets whose blank nodes all have distinct first-degree hashes; undefined otherwise. */
function canonicalizeQuads(input: Quad[]): string | undefined {
  // JSON-LD's node map merges repeated statements; so does a set of serialisations.
  const seen = new Set<string>()
  const quads = input.filter((quad) => {
    const key = serializeQuad(quad, String)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
  const blanks = [...new Set(quads.flatMap((quad) => [quad.subject, quad.object]).flatMap((term) => ('blank' in term ? [term.blank] : [])))]
  const hashes = new Map<number, string>()
  for (const blank of blanks) {
    const lines = quads.filter((quad) => mentions(quad, blank)).map((quad) => serializeQuad(quad, (other) => (other === blank ? 'a' : 'z')))
    hashes.set(blank, createHash('sha256').update(lines.sort().join('')).digest('hex'))
  }
  const ordered = [...hashes.entries()].sort(([, first], [, second]) => (first < second ? -1 : first > second ? 1 : 0))
  if (new Set(hashes.values()).size !== ordered.length) return undefined
  const labels = new Map(ordered.map(([blank], index) => [blank, `c14n${index}`]))
  return quads
    .map((quad) => serializeQuad(quad, (blank) => labels.get(blank) ?? unsupported()))
    .sort()
    .join('')
}

/**
 * Canonical N-Quads of a Laurel OpenBadgeCredential (without proof) or of eddsa-rdfc-2022 proof
 * options for one; undefined for any other document.
 */
export function fastCanonicalize(document: unknown): string | undefined {
  if (!isObject(document) || !isOpenBadgesContext(document['@context'])) return undefined
  try {
    return canonicalizeQuads('cryptosuite' in document ? proofOptionsQuads(document) : credentialQuads(document))
  } catch (error) {
    if (error instanceof UnsupportedShape) return undefined
    throw error
  }
}

/** eddsa-rdfc-2022 with the fast path for Laurel's credentials and the general algorithm for the rest. */
export const fastEddsaRdfc2022: Cryptosuite = {
  ...eddsaRdfc2022,
  canonize: async (input, options) => fastCanonicalize(input) ?? eddsaRdfc2022.canonize(input, options),
}
