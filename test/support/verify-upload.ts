import { randomBytes } from 'node:crypto'
import type { TestClient } from './harness.ts'

/** Uploads a document as a credential file to the /verify page, as a browser's form would. */
export async function uploadToVerify(client: TestClient, document: unknown, headers: Record<string, string> = {}) {
  const csrf = /name="_csrf" value="([^"]+)"/.exec((await client.request({ method: 'GET', url: '/verify', headers })).body)?.[1] ?? ''
  const boundary = `laurel${randomBytes(6).toString('hex')}`
  const payload = [
    `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="credential.json"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(document)}\r\n`,
    `--${boundary}--\r\n`,
  ].join('')
  return client.request({ method: 'POST', url: '/verify', headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload })
}
