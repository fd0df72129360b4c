import { Type } from 'typebox'
import { ConflictError } from '../../../platform/errors.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../../platform/http/auth.ts'
import { API_RATE_LIMIT } from '../../../platform/http/server.tsx'
import { DataExportList, DataExportParams, DataExportResponse } from './contract.ts'
import { originOf, sendZip } from './pages.tsx'
import { formatTime, percentOf } from './section.tsx'
import { type DataExportView, downloadDataExport, getDataExport, listDataExports, requestDataExport } from './service.ts'

const tags = ['Privacy']

function exportResponse(view: DataExportView) {
  return {
    id: view.id,
    state: view.state,
    createdAt: view.createdAt.toISOString(),
    completedAt: view.completedAt?.toISOString() ?? null,
    expiresAt: view.expiresAt.toISOString(),
    sizeBytes: view.sizeBytes,
    fileCount: view.fileCount,
    progress: { done: view.progress?.done ?? 0, total: view.progress?.total ?? 0, percent: percentOf(view), message: view.progress?.message ?? null },
    downloadUrl: view.state === 'ready' ? `/api/v1/me/exports/${view.id}/file` : null,
  }
}

export async function exportRoutes(app: TypedApp): Promise<void> {
  const { platform } = app
  app.addHook('preHandler', requireSignedIn)
  const config = { rateLimit: API_RATE_LIMIT }

  app.post(
    '/api/v1/me/exports',
    {
      config,
      schema: {
        tags,
        summary: 'Ask for a ZIP of all my data (built by a job; poll the export, then download it within seven days)',
        response: { 202: DataExportResponse },
      },
    },
    async (request, reply) => {
      const auth = signedInAuth(request)
      const view = await requestDataExport(
        platform,
        { accountId: auth.accountId, email: auth.email },
        { actor: { accountId: auth.accountId, ...originOf(request) } },
      )
      return reply.status(202).header('location', `/api/v1/me/exports/${view.id}`).send(exportResponse(view))
    },
  )

  app.get('/api/v1/me/exports', { config, schema: { tags, summary: 'My data exports, newest first', response: { 200: DataExportList } } }, async (request) => ({
    items: (await listDataExports(platform, signedInAuth(request).accountId)).map(exportResponse),
  }))

  app.get(
    '/api/v1/me/exports/:exportId',
    { config, schema: { tags, summary: 'One of my data exports: its state and progress', params: DataExportParams, response: { 200: DataExportResponse } } },
    async (request) => exportResponse(await getDataExport(platform, signedInAuth(request).accountId, request.params.exportId)),
  )

  app.get(
    '/api/v1/me/exports/:exportId/file',
    {
      config,
      schema: {
        tags,
        summary: 'Download one of my data exports (application/zip); 409 while it is being prepared or once it expired',
        params: DataExportParams,
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) },
      },
    },
    async (request, reply) => {
      const download = await downloadDataExport(platform, signedInAuth(request).accountId, request.params.exportId, originOf(request))
      if (download.kind === 'unavailable') {
        const { state, expiresAt } = download.export
        throw state === 'expired'
          ? new ConflictError('data_export_expired', `This export expired on ${formatTime(expiresAt)} and its file is deleted; ask for a new one.`)
          : new ConflictError(
              'data_export_not_ready',
              `This export is ${state === 'failed' ? 'failed; ask for a new one' : 'still being prepared; try again shortly'}.`,
            )
      }
      return sendZip(reply, download)
    },
  )
}
