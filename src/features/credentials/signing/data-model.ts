import { dateRegex } from '@digitalbazaar/vc'
import { CREDENTIALS_V1_URL, CREDENTIALS_V2_URL, type JsonObject } from './contexts.ts'

const VC2_SPEC = 'https://www.w3.org/TR/vc-data-model-2.0/'
const STATUS_LIST_SPEC = 'https://www.w3.org/TR/vc-bitstring-status-list/'

/** Each rule Laurel enforces, by its code, with the section of the specification that states it. */
export const DATA_MODEL_RULES = {
  'vc.contexts': `${VC2_SPEC}#contexts`,
  'vc.identifiers': `${VC2_SPEC}#identifiers`,
  'vc.types': `${VC2_SPEC}#types`,
  'vc.issuer': `${VC2_SPEC}#issuer`,
  'vc.credential-subject': `${VC2_SPEC}#credential-subject`,
  'vc.validity-period': `${VC2_SPEC}#validity-period`,
  'vc.status': `${VC2_SPEC}#status`,
  'vc.data-schemas': `${VC2_SPEC}#data-schemas`,
  'vc.related-resources': `${VC2_SPEC}#integrity-of-related-resources`,
  'vc.refreshing': `${VC2_SPEC}#refreshing`,
  'vc.terms-of-use': `${VC2_SPEC}#terms-of-use`,
  'vc.evidence': `${VC2_SPEC}#evidence`,
  'bitstring-status-list.entry': `${STATUS_LIST_SPEC}#bitstringstatuslistentry`,
} as const

export type DataModelRule = keyof typeof DATA_MODEL_RULES

/** VC Data Model 2.0 §7.2: the problem type for a value that breaks the data model. */
export const MALFORMED_VALUE_ERROR = 'https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR'
/** VC Data Model 2.0 §7.2: the problem type for a document that cannot be processed (JSON-LD errors among them). */
export const PARSING_ERROR = 'https://www.w3.org/TR/vc-data-model#PARSING_ERROR'

/** A rule a document breaks: which one, where (a JSON pointer into the request) and what to fix. */
export class RuleViolation extends Error {
  constructor(
    readonly rule: DataModelRule,
    readonly pointer: string,
    message: string,
  ) {
    super(message)
  }
}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value)
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value])

/** A URL as the data model means it: absolute, with a scheme (`https:`, `did:`, `urn:` …). */
export function isUrl(value: unknown): value is string {
  return typeof value === 'string' && URL.canParse(value) && /^[a-z][a-z0-9+.-]*:/i.test(value)
}

function isTypeValue(value: unknown): boolean {
  return (
    (typeof value === 'string' && value !== '') || (Array.isArray(value) && value.length > 0 && value.every((type) => typeof type === 'string' && type !== ''))
  )
}

/** The entries of a property that holds one object or a set of them, each with its JSON pointer. */
function entriesOf(credential: JsonObject, property: string, pointer: string): { entry: unknown; at: string }[] {
  const value = credential[property]
  if (Array.isArray(value)) return value.map((entry, index) => ({ entry, at: `${pointer}/${property}/${index}` }))
  return value === undefined ? [] : [{ entry: value, at: `${pointer}/${property}` }]
}

/** Every entry of `property` is an object with a `type`; `idRequired` also asks for a URL `id`. */
function checkTypedEntries(credential: JsonObject, pointer: string, property: string, rule: DataModelRule, idRequired = false): void {
  for (const { entry, at } of entriesOf(credential, property, pointer)) {
    if (!isObject(entry)) throw new RuleViolation(rule, at, `Every "${property}" entry must be an object.`)
    if (!isTypeValue(entry.type)) throw new RuleViolation(rule, `${at}/type`, `Every "${property}" entry needs a "type".`)
    if (idRequired && !isUrl(entry.id)) throw new RuleViolation(rule, `${at}/id`, `Every "${property}" entry needs an "id" that is a URL.`)
    if (!idRequired && 'id' in entry && !isUrl(entry.id)) throw new RuleViolation(rule, `${at}/id`, `The "id" of a "${property}" entry must be a URL.`)
  }
}

function checkStatusEntries(credential: JsonObject, pointer: string): void {
  checkTypedEntries(credential, pointer, 'credentialStatus', 'vc.status')
  const seen = new Set<string>()
  for (const { entry, at } of entriesOf(credential, 'credentialStatus', pointer)) {
    const status = entry as JsonObject
    if (typeof status.id === 'string') {
      if (seen.has(status.id)) throw new RuleViolation('vc.status', `${at}/id`, `Two "credentialStatus" entries have the id ${status.id}; each needs its own.`)
      seen.add(status.id)
    }
    if (asList(status.type).includes('BitstringStatusListEntry')) checkBitstringEntry(status, at)
  }
}

function checkBitstringEntry(entry: JsonObject, at: string): void {
  const rule = 'bitstring-status-list.entry'
  if (typeof entry.statusPurpose !== 'string' || entry.statusPurpose === '') {
    throw new RuleViolation(rule, `${at}/statusPurpose`, 'A BitstringStatusListEntry needs a "statusPurpose" (revocation, suspension, refresh or message).')
  }
  if (typeof entry.statusListIndex !== 'string' || !/^(0|[1-9][0-9]*)$/.test(entry.statusListIndex)) {
    throw new RuleViolation(rule, `${at}/statusListIndex`, 'A BitstringStatusListEntry needs a "statusListIndex": a non-negative integer written as a string.')
  }
  if (!isUrl(entry.statusListCredential)) {
    throw new RuleViolation(rule, `${at}/statusListCredential`, 'A BitstringStatusListEntry needs a "statusListCredential" URL.')
  }
}

function checkSubjects(credential: JsonObject, pointer: string): void {
  const rule = 'vc.credential-subject'
  const subjects = credential.credentialSubject
  const at = `${pointer}/credentialSubject`
  if (subjects === undefined) throw new RuleViolation(rule, at, '"credentialSubject" is required.')
  if (Array.isArray(subjects) && subjects.length === 0) throw new RuleViolation(rule, at, '"credentialSubject" must name at least one subject; [] names none.')
  for (const { entry, at: subjectAt } of entriesOf(credential, 'credentialSubject', pointer)) {
    if (!isObject(entry)) throw new RuleViolation(rule, subjectAt, '"credentialSubject" must be an object or an array of objects.')
    if (Object.keys(entry).length === 0) throw new RuleViolation(rule, subjectAt, 'Every "credentialSubject" must make at least one claim; {} makes none.')
    if ('id' in entry && !isUrl(entry.id)) throw new RuleViolation(rule, `${subjectAt}/id`, 'The "id" of a "credentialSubject" must be a URL.')
  }
}

function checkRelatedResourceShape(credential: JsonObject, pointer: string): void {
  const rule = 'vc.related-resources'
  const seen = new Set<string>()
  for (const { entry, at } of entriesOf(credential, 'relatedResource', pointer)) {
    if (!isObject(entry)) throw new RuleViolation(rule, at, 'Every "relatedResource" entry must be an object.')
    if (!isUrl(entry.id)) throw new RuleViolation(rule, `${at}/id`, 'Every "relatedResource" entry needs an "id" that is a URL.')
    if (seen.has(entry.id)) throw new RuleViolation(rule, `${at}/id`, `"relatedResource" repeats the id ${entry.id}.`)
    seen.add(entry.id)
    if (typeof entry.digestSRI !== 'string' && typeof entry.digestMultibase !== 'string') {
      throw new RuleViolation(rule, at, `"relatedResource" ${entry.id} needs "digestSRI" or "digestMultibase".`)
    }
  }
}

/**
 * The VC Data Model rules (2.0, and 1.1 where they agree) a credential must meet before it is signed.
 * Throws the first `RuleViolation`, its pointer under `pointer` (where the credential sits in the request).
 */
export function checkCredentialDataModel(credential: unknown, pointer = ''): asserts credential is JsonObject {
  if (!isObject(credential)) throw new RuleViolation('vc.types', pointer || '/', 'A credential must be a JSON object.')
  const context = credential['@context']
  if (!Array.isArray(context) || context.length === 0) throw new RuleViolation('vc.contexts', `${pointer}/@context`, '"@context" must be an array.')
  if (context[0] !== CREDENTIALS_V2_URL && context[0] !== CREDENTIALS_V1_URL) {
    throw new RuleViolation('vc.contexts', `${pointer}/@context/0`, `The first "@context" entry must be ${CREDENTIALS_V2_URL} (or ${CREDENTIALS_V1_URL}).`)
  }
  if ('id' in credential && !isUrl(credential.id)) {
    throw new RuleViolation('vc.identifiers', `${pointer}/id`, '"id" must be a single URL when present; leave it out to have Laurel assign one.')
  }
  const type = credential.type
  if (!Array.isArray(type) || !type.includes('VerifiableCredential')) {
    throw new RuleViolation('vc.types', `${pointer}/type`, '"type" must be an array that includes "VerifiableCredential".')
  }
  const issuer = credential.issuer
  if (!isUrl(issuer) && !(isObject(issuer) && isUrl(issuer.id))) {
    throw new RuleViolation('vc.issuer', `${pointer}/issuer`, '"issuer" must be a URL or an object with an "id" URL.')
  }
  checkSubjects(credential, pointer)
  for (const field of ['validFrom', 'validUntil', 'issuanceDate', 'expirationDate'] as const) {
    const value = credential[field]
    if (value !== undefined && (typeof value !== 'string' || !dateRegex.test(value) || Number.isNaN(Date.parse(value)))) {
      throw new RuleViolation('vc.validity-period', `${pointer}/${field}`, `"${field}" must be an XML Schema dateTime, such as 2026-01-31T12:00:00Z.`)
    }
  }
  checkStatusEntries(credential, pointer)
  checkTypedEntries(credential, pointer, 'credentialSchema', 'vc.data-schemas', true)
  checkTypedEntries(credential, pointer, 'refreshService', 'vc.refreshing')
  checkTypedEntries(credential, pointer, 'termsOfUse', 'vc.terms-of-use')
  checkTypedEntries(credential, pointer, 'evidence', 'vc.evidence')
  checkRelatedResourceShape(credential, pointer)
}
