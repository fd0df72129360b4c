import { Type } from 'typebox'

const DateTime = Type.String({ format: 'date-time' })
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

export const DataExportParams = Type.Object({ exportId: Type.String({ maxLength: 64 }) })

export const DataExportResponse = Type.Object({
  id: Type.String({ examples: ['dexp_01jq3v9c2m8k4x7r5t6w0y1z2a'] }),
  state: Type.Union([Type.Literal('building'), Type.Literal('failed'), Type.Literal('ready'), Type.Literal('expired')], {
    description:
      'building: the job is preparing the ZIP; ready: download it from downloadUrl until expiresAt; failed: ask again; expired: deleted or about to be, ask again',
  }),
  createdAt: DateTime,
  completedAt: Nullable(DateTime),
  expiresAt: Type.String({ format: 'date-time', description: 'Seven days after the request; the file is deleted afterwards' }),
  sizeBytes: Nullable(Type.Integer()),
  fileCount: Nullable(Type.Integer()),
  progress: Type.Object({
    done: Type.Integer(),
    total: Type.Integer(),
    percent: Type.Integer({ minimum: 0, maximum: 100 }),
    message: Nullable(Type.String()),
  }),
  downloadUrl: Nullable(Type.String({ description: 'The ZIP (application/zip), for the signed-in person who asked, while ready' })),
})

export const DataExportList = Type.Object({ items: Type.Array(DataExportResponse) })
