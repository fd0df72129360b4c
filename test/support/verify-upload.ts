import type { TestClient } from './harness.ts'

/** Uploads a credential file on /verify as the browser form does (multipart, with the page's CSRF token). */
export async function uploadToVerify(client: TestClient, fileName: string, contentType: string, data: Buffer) {
  const csrf = /name="_csrf" value="([^"]+)"/.exec((await client.get('/verify')).body)?.[1] ?? ''
  const boundary = 'laurelverifyuploadboundary'
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: ${contentType}\r\n\r\n`),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
  return client.request({ method: 'POST', url: '/verify', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload })
}
