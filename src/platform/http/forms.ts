import type { Static, TObject } from 'typebox'
import { Value } from 'typebox/value'

export type FieldErrors = Record<string, string>

export type FormResult<T> = { ok: true; value: T; values: Record<string, string> } | { ok: false; errors: FieldErrors; values: Record<string, string> }

/**
 * Validates a submitted form against a TypeBox object. Each property may carry an `errorMessage`
 * saying what to fix; the first problem per field is kept for inline display next to that field.
 */
export function parseForm<Schema extends TObject>(schema: Schema, body: unknown): FormResult<Static<Schema>> {
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const values: Record<string, string> = {}
  for (const [key, value] of Object.entries(raw)) if (typeof value === 'string') values[key] = key.toLowerCase().includes('password') ? '' : value
  const candidate: Record<string, unknown> = {}
  for (const key of Object.keys(schema.properties)) {
    const value = raw[key]
    if (typeof value === 'string') candidate[key] = value.trim() === '' && !key.toLowerCase().includes('password') ? undefined : value.trim()
    else if (value !== undefined) candidate[key] = value
  }
  const converted = Value.Convert(schema, candidate)
  if (Value.Check(schema, converted)) return { ok: true, value: converted as Static<Schema>, values }
  const errors: FieldErrors = {}
  for (const error of Value.Errors(schema, converted)) {
    const field = error.instancePath.split('/')[1] ?? (error.params as { requiredProperties?: string[] }).requiredProperties?.[0] ?? ''
    if (!field || errors[field]) continue
    const property = schema.properties[field] as { errorMessage?: string } | undefined
    errors[field] = property?.errorMessage ?? `This field ${error.message}.`
  }
  return { ok: false, errors, values }
}

/** A file from a multipart form (see the multipart setup in server.tsx). */
export interface UploadedFile {
  fileName: string
  data: Buffer
}

/** The uploaded file in `field`, or undefined when the form was sent without choosing one. */
export function uploadedFile(body: unknown, field: string): UploadedFile | undefined {
  const value = (body as Record<string, unknown> | undefined)?.[field] as UploadedFile | undefined
  return value && Buffer.isBuffer(value.data) && value.data.length > 0 ? value : undefined
}
