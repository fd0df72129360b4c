import { Type } from 'typebox'
import { defineJob, type JobRunContext } from '../../../platform/jobs/jobs.ts'
import type { Platform } from '../../../platform/platform.ts'
import { buildDataExport } from './build.ts'

export const buildDataExportJob = defineJob({
  name: 'privacy.build-export',
  title: 'Preparing your data for download',
  payload: Type.Object({ exportId: Type.String({ maxLength: 64 }) }),
  retryLimit: 2,
  run: ({ services, progress }: JobRunContext<Platform>, { exportId }) => buildDataExport(services, exportId, progress),
})
