// A SigningPool worker: signs each batch it receives with the bundled contexts (no DID resolution
// is needed to sign) and answers with the signed credentials or the first error.
import { parentPort } from 'node:worker_threads'
import { createDocumentLoader } from './contexts.ts'
import { type SignedCredential, type SigningResult, type SigningTask, signCredential } from './sign.ts'

const documentLoader = createDocumentLoader()

async function signBatch({ credentials, signer, options }: SigningTask): Promise<SigningResult> {
  try {
    const signed: SignedCredential[] = []
    for (const credential of credentials) signed.push(await signCredential(credential, signer, documentLoader, options))
    return { signed }
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) }
  }
}

parentPort?.on('message', (task: SigningTask) => {
  void signBatch(task).then((result) => parentPort?.postMessage(result))
})
