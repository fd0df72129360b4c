import { and, eq } from 'drizzle-orm'
import { Type } from 'typebox'
import type { Db } from '../../../platform/db/client.ts'
import { InvalidError } from '../../../platform/errors.ts'
import { type FieldErrors, parseForm, type UploadedFile } from '../../../platform/http/forms.ts'
import type { Platform } from '../../../platform/platform.ts'
import { type OrgScope, requireRole } from '../../orgs/service.ts'
import { getAchievement } from '../achievements.ts'
import { type CheckedImage, checkImage } from '../images/images.ts'
import { type CertificateLayout, type CustomField, certificateDesigns, type PaperSize } from '../schema.ts'

export const LAYOUTS: { value: CertificateLayout; label: string }[] = [
  { value: 'classic', label: 'Classic: double border, centred' },
  { value: 'modern', label: 'Modern: colour band at the side' },
  { value: 'minimal', label: 'Minimal: plain, left-aligned' },
]
export const PAPER_SIZES: { value: PaperSize; label: string }[] = [
  { value: 'a4', label: 'A4 (landscape)' },
  { value: 'letter', label: 'Letter (landscape)' },
]
export const MAX_CUSTOM_FIELDS = 4

/** What the renderer needs; images are PNG bytes. */
export interface CertificateDesign {
  layout: CertificateLayout
  primaryColor: string
  accentColor: string
  paperSize: PaperSize
  logo: Buffer | null
  signature: Buffer | null
  signerName: string
  signerTitle: string
  customFields: CustomField[]
  /** Changes whenever the design is saved: part of the PDF's ETag. */
  version: string
}

export const DEFAULT_DESIGN: CertificateDesign = {
  layout: 'classic',
  primaryColor: '#1f3a5f',
  accentColor: '#b08d57',
  paperSize: 'a4',
  logo: null,
  signature: null,
  signerName: '',
  signerTitle: '',
  customFields: [],
  version: 'default',
}

const Color = (what: string) =>
  Type.String({ pattern: '^#[0-9a-fA-F]{6}$', errorMessage: `${what} colour: a hex colour like #1f3a5f (# and six digits 0-9 or a-f).` })
const Short = (what: string, max: number) => Type.Optional(Type.String({ maxLength: max, errorMessage: `${what}: up to ${max} characters.` }))

export const DesignForm = Type.Object({
  layout: Type.Union(
    LAYOUTS.map((layout) => Type.Literal(layout.value)),
    { errorMessage: 'Choose one of the layouts.' },
  ),
  primaryColor: Color('Primary'),
  accentColor: Color('Accent'),
  paperSize: Type.Union(
    PAPER_SIZES.map((size) => Type.Literal(size.value)),
    { errorMessage: 'Choose A4 or Letter.' },
  ),
  signerName: Short('Signer name', 100),
  signerTitle: Short('Signer title', 100),
  ...Object.fromEntries(
    Array.from({ length: MAX_CUSTOM_FIELDS }, (_, i) => [
      [`fieldLabel${i}`, Short(`Label of field ${i + 1}`, 40)],
      [`fieldValue${i}`, Short(`Value of field ${i + 1}`, 120)],
    ]).flat(),
  ),
})

/** A design's text fields, as submitted in the form. */
export interface DesignInput {
  layout: CertificateLayout
  primaryColor: string
  accentColor: string
  paperSize: PaperSize
  signerName: string
  signerTitle: string
  customFields: CustomField[]
}

/** A change to a design: its text fields, or one image (null removes it). */
export type DesignChange = Partial<DesignInput> & { logo?: Buffer | null; signature?: Buffer | null }

export type DesignImage = 'logo' | 'signature'
export const DESIGN_IMAGE_LABELS: Record<DesignImage, string> = { logo: 'Logo', signature: 'Signature image' }

/**
 * Checks a logo or signature upload: the badge-image rules (real PNG header, size, sides), PNG only
 * (a PDF cannot draw SVG), and one real decode by pdf-lib so a damaged file fails here, not later in
 * every certificate.
 */
export async function checkDesignImage(file: UploadedFile, which: DesignImage): Promise<Buffer> {
  const label = DESIGN_IMAGE_LABELS[which]
  const fail = (message: string): never => {
    throw new InvalidError('invalid_image', `${label}: ${message}`, { [which]: `${label}: ${message}` })
  }
  let image: CheckedImage | undefined
  try {
    image = checkImage(file.data)
  } catch (error) {
    if (error instanceof InvalidError) fail(error.message)
    throw error
  }
  if (image?.type !== 'image/png') return fail('upload a PNG image (a PDF cannot show SVG).')
  try {
    const { PDFDocument } = await import('pdf-lib')
    await (await PDFDocument.create()).embedPng(image.data)
  } catch {
    fail('this PNG file cannot be read; save it again as a standard PNG.')
  }
  return image.data
}

/** The form's text fields as a design input, or the problem per field. */
export function designInputFrom(body: unknown): { input?: DesignInput; errors?: FieldErrors; values: Record<string, string> } {
  const form = parseForm(DesignForm, body)
  if (!form.ok) return { errors: form.errors, values: form.values }
  // The custom-field properties are built in a loop, which TypeBox cannot type: name the shape here.
  const value = form.value as unknown as Record<string, string | undefined> & {
    layout: CertificateLayout
    primaryColor: string
    accentColor: string
    paperSize: PaperSize
  }
  const errors: FieldErrors = {}
  const customFields: CustomField[] = []
  for (let i = 0; i < MAX_CUSTOM_FIELDS; i++) {
    const label = value[`fieldLabel${i}`] ?? ''
    const fieldValue = value[`fieldValue${i}`] ?? ''
    if (label && fieldValue) customFields.push({ label, value: fieldValue })
    else if (label || fieldValue) errors[`fieldLabel${i}`] = `Field ${i + 1}: give both a label and a value, or neither.`
  }
  if (Object.keys(errors).length > 0) return { errors, values: form.values }
  return {
    input: {
      layout: value.layout,
      primaryColor: value.primaryColor.toLowerCase(),
      accentColor: value.accentColor.toLowerCase(),
      paperSize: value.paperSize,
      signerName: value.signerName ?? '',
      signerTitle: value.signerTitle ?? '',
      customFields,
    },
    values: form.values,
  }
}

type DesignRow = typeof certificateDesigns.$inferSelect

function designOf(row: DesignRow | undefined): CertificateDesign {
  if (!row) return DEFAULT_DESIGN
  return {
    layout: row.layout,
    primaryColor: row.primaryColor,
    accentColor: row.accentColor,
    paperSize: row.paperSize,
    logo: row.logoData,
    signature: row.signatureData,
    signerName: row.signerName,
    signerTitle: row.signerTitle,
    customFields: row.customFields,
    version: row.updatedAt.toISOString(),
  }
}

/** The design of an achievement (the defaults until one is saved); the achievement must be the org's. */
export async function getCertificateDesign(db: Db, scope: { orgId: string }, achievementId: string): Promise<CertificateDesign> {
  await getAchievement(db, scope, achievementId)
  return findCertificateDesign(db, scope.orgId, achievementId)
}

/** The design a credential of this org and achievement renders with; the defaults when there is none. */
export async function findCertificateDesign(db: Db, orgId: string, achievementId: string | null): Promise<CertificateDesign> {
  if (!achievementId) return DEFAULT_DESIGN
  const [row] = await db
    .select()
    .from(certificateDesigns)
    .where(and(eq(certificateDesigns.orgId, orgId), eq(certificateDesigns.achievementId, achievementId)))
  return designOf(row)
}

/** Applies a submitted design over the stored one (kept images stay): what the preview and saving use. */
export function mergeDesign(current: CertificateDesign, change: DesignChange): CertificateDesign {
  return {
    ...current,
    ...change,
    logo: change.logo === undefined ? current.logo : change.logo,
    signature: change.signature === undefined ? current.signature : change.signature,
  }
}

/** Saves a change to an achievement's design (the rest stays as stored, or the defaults). */
export async function saveCertificateDesign(platform: Platform, scope: OrgScope, achievementId: string, change: DesignChange): Promise<CertificateDesign> {
  requireRole(scope, 'staff')
  return platform.db.transaction(async (tx) => {
    const design = mergeDesign(await getCertificateDesign(tx, scope, achievementId), change)
    const values = {
      layout: design.layout,
      primaryColor: design.primaryColor,
      accentColor: design.accentColor,
      paperSize: design.paperSize,
      logoData: design.logo,
      signatureData: design.signature,
      signerName: design.signerName,
      signerTitle: design.signerTitle,
      customFields: design.customFields,
    }
    const [row] = await tx
      .insert(certificateDesigns)
      .values({ achievementId, orgId: scope.orgId, ...values })
      .onConflictDoUpdate({ target: certificateDesigns.achievementId, set: { ...values, updatedAt: platform.clock.now() } })
      .returning()
    await platform.audit.recordIn(tx, {
      action: 'credentials.certificate_design_saved',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: achievementId,
      data: { changed: Object.keys(change) },
    })
    return designOf(row)
  })
}
