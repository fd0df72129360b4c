import type { FastifyReply, FastifyRequest } from 'fastify'
import type { TypedApp } from '../../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../../platform/http/auth.ts'
import { CsrfField } from '../../../platform/ui/components.tsx'
import { DataExportParams } from './contract.ts'
import { ExportStatus, exportUrls, formatTime } from './section.tsx'
import { downloadDataExport, getDataExport, requestDataExport } from './service.ts'

/** My privacy, where the export section is. */
export const MY_DATA_PATH = '/account/privacy'

/** Sends an export's ZIP as a private, uncached attachment. */
export function sendZip(reply: FastifyReply, download: { fileName: string; bytes: Buffer }): FastifyReply {
  return reply
    .type('application/zip')
    .header('cache-control', 'private, no-store')
    .header('content-disposition', `attachment; filename="${download.fileName}"`)
    .send(download.bytes)
}

export const originOf = (request: FastifyRequest) => ({ ip: request.ip, userAgent: request.headers['user-agent'] ?? null })

export async function exportPages(app: TypedApp): Promise<void> {
  const { platform } = app
  app.addHook('preHandler', requireSignedIn)

  app.post(exportUrls.request, async (request, reply) => {
    const auth = signedInAuth(request)
    await requestDataExport(platform, { accountId: auth.accountId, email: auth.email }, { actor: { accountId: auth.accountId, ...originOf(request) } })
    reply.flash('success', 'Your data is being prepared. The download link appears here when it is ready.')
    return reply.redirect(MY_DATA_PATH)
  })

  app.get('/account/privacy/exports/:exportId', { schema: { params: DataExportParams } }, async (request, reply) => {
    const auth = signedInAuth(request)
    const download = await downloadDataExport(platform, auth.accountId, request.params.exportId, originOf(request))
    if (download.kind === 'file') return sendZip(reply, download)
    const view = download.export
    const askAgain = (
      <form method="post" action={exportUrls.request}>
        <CsrfField token={reply.csrfToken()} />
        <button type="submit">Ask for a new download</button>
      </form>
    )
    switch (view.state) {
      case 'expired':
        return reply.page(
          'Download expired',
          <>
            <h1>This download has expired</h1>
            <p
              safe
            >{`Downloads of your data work for seven days; this one ended on ${formatTime(view.expiresAt)} and its file is deleted. Ask again for a fresh copy.`}</p>
            {askAgain}
          </>,
          { status: 410 },
        )
      case 'failed':
        return reply.page(
          'Download failed',
          <>
            <h1>Preparing this download failed</h1>
            <p>Nothing was sent anywhere. Ask again; if it fails again, contact the organisation’s privacy contact.</p>
            {askAgain}
          </>,
          { status: 409 },
        )
      default:
        return reply.page(
          'Preparing your data',
          <>
            <h1>Your data is being prepared</h1>
            <ExportStatus view={view} />
            <p>
              <a href={MY_DATA_PATH}>Back to My data</a>
            </p>
          </>,
        )
    }
  })

  app.get('/account/privacy/exports/:exportId/progress', { config: { skipAudit: true }, schema: { params: DataExportParams } }, async (request, reply) => {
    const view = await getDataExport(platform, signedInAuth(request).accountId, request.params.exportId)
    const html = await (<ExportStatus view={view} />)
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html)
  })
}
