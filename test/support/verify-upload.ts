import type { TestClient } from './harness.ts'

/** Uploads a credential file on /verify as the browser form does (multipart, with the page's CSRF token). */
export async function uploadToVerify(client: TestClient, fileName: string, contentType: string, data: Buffer, headers: Record<string, string> = {}) {
  const csrf = /name="_csrf" value="([^"]+)"/.exec((await client.request({ method: 'GET', url: '/verify', headers })).body)?.[1] ?? ''
  const boundary = 'laurelverifyuploadboundary'
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: ${contentType}\r\n\r\n`),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
  return client.request({ method: 'POST', url: '/verify', headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload })
}

/** Uploads a JSON document as a credential file on /verify. */
export function uploadJsonToVerify(client: TestClient, document: unknown, headers: Record<string, string> = {}) {
  return uploadToVerify(client, 'credential.json', 'application/json', Buffer.from(JSON.stringify(document)), headers)
}
