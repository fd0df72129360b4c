import { readFileSync } from 'node:fs'
import { Ajv2019, type ValidateFunction } from 'ajv/dist/2019.js'
import addFormats from 'ajv-formats'
import { projectPath } from '../../../platform/paths.ts'

/** Where 1EdTech publishes the AchievementCredential schema; our copy's `$id` is the json-ld one. */
export const OB3_SCHEMA_URLS = [
  'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/schema/json-ld/ob_v3p0_achievementcredential_schema.json',
] as const

let validator: ValidateFunction | undefined

// Compiled on first use: it takes a moment, and most processes never validate.
function ob3Validator(): ValidateFunction {
  if (validator) return validator
  const schema = JSON.parse(readFileSync(projectPath('src/features/credentials/signing/ob_v3p0_achievementcredential_schema.json'), 'utf8')) as { $id?: string }
  const ajv = new Ajv2019({ allErrors: true, strict: false })
  // ajv-formats is CommonJS: under nodenext its plugin is the `default` property of the module.
  addFormats.default(ajv)
  for (const url of OB3_SCHEMA_URLS) ajv.addSchema({ ...schema, $id: url })
  const compiled = ajv.getSchema(OB3_SCHEMA_URLS[0])
  if (!compiled) throw new Error('The Open Badges 3.0 schema did not compile.')
  validator = compiled
  return compiled
}

/** Validates against the official 1EdTech Open Badges 3.0 AchievementCredential JSON Schema, as is. */
export function validateOb3Schema(vc: unknown): { ok: boolean; errors: string[] } {
  const validate = ob3Validator()
  if (validate(vc)) return { ok: true, errors: [] }
  const errors = (validate.errors ?? []).map((error) => {
    const where = error.instancePath || '(credential)'
    const detail = error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : ''
    return `${where} ${error.message ?? 'is invalid'}${detail}`
  })
  return { ok: false, errors: [...new Set(errors)] }
}
