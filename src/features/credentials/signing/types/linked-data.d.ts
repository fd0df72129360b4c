// Digital Bazaar's Linked Data signing and verification libraries, as far as Laurel uses them.

declare module '@digitalbazaar/ed25519-multikey' {
  export interface Ed25519Signer {
    id?: string
    algorithm: string
    sign(options: { data: Uint8Array }): Promise<Uint8Array>
  }
  export interface Ed25519KeyPair {
    id?: string
    controller?: string
    publicKeyMultibase: string
    secretKeyMultibase?: string
    signer(): Ed25519Signer
    export(options: { publicKey?: boolean; secretKey?: boolean; raw: true }): Promise<{ publicKey?: Uint8Array; secretKey?: Uint8Array }>
  }
  export function generate(options?: { id?: string; controller?: string; seed?: Uint8Array }): Promise<Ed25519KeyPair & { secretKeyMultibase: string }>
  export function from(key: object): Promise<Ed25519KeyPair>
  export function toJwk(options: { keyPair: Ed25519KeyPair }): Promise<Record<string, unknown>>
}

declare module '@digitalbazaar/did-method-key' {
  export interface DidKeyDriver {
    use(options: { multibaseMultikeyHeader: string; fromMultibase: (key: { publicKeyMultibase: string }) => Promise<object> }): void
    get(options: { url: string }): Promise<Record<string, unknown>>
  }
  export function driver(): DidKeyDriver
}

declare module '@digitalbazaar/data-integrity' {
  type DocumentLoader = (url: string) => Promise<{ contextUrl: string | null; documentUrl: string; document: unknown }>
  export interface Cryptosuite {
    name: string
    /** RDFC-1.0 canonical N-Quads (eddsa-rdfc-2022) or JCS (eddsa-jcs-2022) of a document. */
    canonize(input: object, options: { documentLoader: DocumentLoader }): Promise<string>
  }
  export interface ProofVerification {
    verified: boolean
    verificationMethod?: Record<string, unknown>
    error?: unknown
  }
  /** What jsonld-signatures calls a suite; Ed25519Signature2020 has the same shape. */
  export interface LinkedDataSuite {
    verifyProof(options: { proof: object; document: object; proofSet: object[]; documentLoader: DocumentLoader }): Promise<ProofVerification>
    createProof(options: { document: object; purpose: object; proofSet: object[]; documentLoader: DocumentLoader }): Promise<Record<string, unknown>>
  }
  export class DataIntegrityProof implements LinkedDataSuite {
    constructor(options: {
      signer?: { id?: string; algorithm: string; sign(options: { data: Uint8Array }): Promise<Uint8Array> }
      cryptosuite: Cryptosuite
      date?: Date | string | null
    })
    /** Template copied into every new proof (e.g. `id`, `previousProof`). */
    proof?: Record<string, unknown>
    verifyProof(options: { proof: object; document: object; proofSet: object[]; documentLoader: DocumentLoader }): Promise<ProofVerification>
    createProof(options: { document: object; purpose: object; proofSet: object[]; documentLoader: DocumentLoader }): Promise<Record<string, unknown>>
  }
}

declare module '@digitalbazaar/eddsa-rdfc-2022-cryptosuite' {
  export const cryptosuite: import('@digitalbazaar/data-integrity').Cryptosuite
}

declare module '@digitalbazaar/eddsa-jcs-2022-cryptosuite' {
  export function createSignCryptosuite(): import('@digitalbazaar/data-integrity').Cryptosuite
  export function createVerifyCryptosuite(): import('@digitalbazaar/data-integrity').Cryptosuite
}

declare module '@digitalbazaar/ed25519-signature-2020' {
  type LinkedDataSuite = import('@digitalbazaar/data-integrity').LinkedDataSuite
  export class Ed25519Signature2020 implements LinkedDataSuite {
    constructor(options?: { signer?: { id?: string; algorithm: string; sign(options: { data: Uint8Array }): Promise<Uint8Array> }; date?: Date | string })
    verifyProof: LinkedDataSuite['verifyProof']
    createProof: LinkedDataSuite['createProof']
  }
}

declare module '@digitalbazaar/vc' {
  type DocumentLoader = (url: string) => Promise<{ contextUrl: string | null; documentUrl: string; document: unknown }>
  /** The XSD dateTime pattern the library checks dates with. */
  export const dateRegex: RegExp
  export class CredentialIssuancePurpose {
    constructor(options?: { controller?: object; date?: Date | string })
  }
  export function issue(options: {
    credential: object
    suite: object
    purpose?: object
    documentLoader: DocumentLoader
    now?: Date | string
  }): Promise<Record<string, unknown>>
  /** A derived credential (selective disclosure) from one with a base proof. */
  export function derive(options: { verifiableCredential: object; suite: object; documentLoader: DocumentLoader }): Promise<Record<string, unknown>>
  export function verifyCredential(options: {
    credential: object
    suite: object | object[]
    purpose?: object
    documentLoader: DocumentLoader
    checkStatus?: (options: { credential: object; documentLoader: DocumentLoader; suite: object | object[] }) => Promise<unknown>
    now?: Date | string
  }): Promise<{
    verified: boolean
    error?: unknown
    statusResult?: { verified: boolean; results?: { status: boolean; credentialStatus: { statusPurpose: string } }[]; error?: unknown }
  }>
  export function signPresentation(options: {
    presentation: object
    suite: object
    challenge: string
    domain?: string
    documentLoader: DocumentLoader
  }): Promise<Record<string, unknown>>
}

declare module '@digitalbazaar/vc-bitstring-status-list' {
  export interface StatusCheckResult {
    /** True when the status could be checked: says nothing about the bit, which is `results[].status`. */
    verified: boolean
    results?: { verified: boolean; status: boolean; credentialStatus: { statusPurpose: string } }[]
    error?: unknown
  }
  export function checkStatus(options: {
    credential: object
    documentLoader: (url: string) => Promise<{ contextUrl: string | null; documentUrl: string; document: unknown }>
    suite: object | object[]
    verifyBitstringStatusListCredential?: boolean
    verifyMatchingIssuers?: boolean
  }): Promise<StatusCheckResult>
  export function decodeList(options: { encodedList: string }): Promise<{ length: number; getStatus(index: number): boolean }>
}

declare module 'base58-universal' {
  export function decode(input: string): Uint8Array
  export function encode(input: Uint8Array): string
}

declare module '@digitalbazaar/ecdsa-multikey' {
  export interface EcdsaKeyPair {
    id?: string
    controller?: string
    publicKeyMultibase: string
    secretKeyMultibase?: string
    signer(): { id?: string; algorithm: string; sign(options: { data: Uint8Array }): Promise<Uint8Array> }
    export(options: {
      publicKey?: boolean
      secretKey?: boolean
      includeContext?: boolean
    }): Promise<{ publicKeyMultibase?: string; secretKeyMultibase?: string }>
  }
  export function generate(options: { curve: 'P-256' | 'P-384'; id?: string; controller?: string }): Promise<EcdsaKeyPair>
  export function from(key: object): Promise<EcdsaKeyPair>
  export function toJwk(options: { keyPair: EcdsaKeyPair; secretKey?: boolean }): Promise<Record<string, unknown>>
}

declare module '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite' {
  export const cryptosuite: import('@digitalbazaar/data-integrity').Cryptosuite
}

declare module '@digitalbazaar/ecdsa-sd-2023-cryptosuite' {
  type Cryptosuite = import('@digitalbazaar/data-integrity').Cryptosuite
  export function createSignCryptosuite(options?: { mandatoryPointers?: string[] }): Cryptosuite
  export function createDiscloseCryptosuite(options: { selectivePointers: string[] }): Cryptosuite
  export function createVerifyCryptosuite(): Cryptosuite
}

declare module '@digitalbazaar/eddsa-2022-cryptosuite' {
  export const cryptosuite: import('@digitalbazaar/data-integrity').Cryptosuite
}
