import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ForbiddenError, InvalidError, NotFoundError } from '../../../platform/errors.ts'
import type { TypedApp, TypedRequest } from '../../../platform/feature.ts'
import { uploadedFile } from '../../../platform/http/forms.ts'
import { CsrfField, Field, FormErrorSummary, type FormState, SelectField } from '../../../platform/ui/components.tsx'
import { getOrg, requireRole, scopeOf } from '../../orgs/service.ts'
import { getAchievement } from '../achievements.ts'
import { recordCredentialAccess } from '../analytics/analytics.ts'
import { AchievementParams, BulkParams, PublicCredentialParams } from '../contract.ts'
import { signedFileAccess } from '../public/disclosure.ts'
import { findPublicCredential } from '../queries.ts'
import { KEEPS_NO_VISITOR_ADDRESS } from '../routes.ts'
import { publicUrls } from '../urls.ts'
import {
  type CertificateDesign,
  checkDesignImage,
  DESIGN_IMAGE_LABELS,
  type DesignImage,
  designInputFrom,
  findCertificateDesign,
  getCertificateDesign,
  LAYOUTS,
  MAX_CUSTOM_FIELDS,
  mergeDesign,
  PAPER_SIZES,
  saveCertificateDesign,
} from './design.ts'
import type { CertificateContent } from './render.ts'
import { loadRenderer } from './renderer.ts'
import { streamCertificateZip } from './zip.ts'

/** Bump when the renderer's output changes, so cached PDFs revalidate. */
const RENDERER_VERSION = '2'

/**
 * PDFs are not HTML: they may be framed by our own pages (the live preview), and need no script
 * policy, which in some browsers would keep the built-in PDF viewer from running.
 */
function sendPdf(reply: FastifyReply, bytes: Uint8Array, options: { fileName: string; isDownload: boolean }) {
  return reply
    .type('application/pdf')
    .header('content-security-policy', "frame-ancestors 'self'")
    .header('x-frame-options', 'SAMEORIGIN')
    .header('content-disposition', `${options.isDownload ? 'attachment' : 'inline'}; filename="${options.fileName}"`)
    .send(Buffer.from(bytes))
}

const ZipQuery = Type.Object({ part: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) })
/** A logo or signature upload: the PNG file, or `remove=1` to drop the current one. */
const imageUploadSchema = { params: AchievementParams, body: Type.Object({ remove: Type.Optional(Type.String()) }) }

export async function certificatePages(app: TypedApp): Promise<void> {
  const { platform } = app

  // The one route that serves a credential's PDF (publicUrls().credentialPdf), for holders and staff alike:
  // counting PDF downloads hooks in here.
  app.get(
    '/credentials/:credentialId.pdf',
    {
      config: { rateLimit: { max: 120, timeWindow: '1 minute' }, ...KEEPS_NO_VISITOR_ADDRESS },
      schema: { params: PublicCredentialParams, querystring: Type.Object({ download: Type.Optional(Type.String({ maxLength: 1 })) }), hide: true },
    },
    async (request, reply) => {
      const found = await findPublicCredential(platform.db, request.params.credentialId)
      if (!found) throw new NotFoundError('credential')
      const { credential } = found
      // The certificate shows every field, so it follows the signed file's disclosure rule.
      const access = await signedFileAccess(platform, request.auth, found)
      if (access === 'denied')
        throw new ForbiddenError('holder_keeps_private', 'The holder keeps some details of this credential private, so its certificate is not public.')
      const design = await findCertificateDesign(platform.db, credential.orgId, credential.achievementId)
      // The bytes follow from the signed document and the design alone, so those make the ETag.
      const etag = `"${createHash('sha256')
        .update(`${RENDERER_VERSION}\n${credential.id}\n${design.version}\n${JSON.stringify(credential.document)}`)
        .digest('base64url')}"`
      if (!credential.isIndexable) reply.header('x-robots-tag', 'noindex')
      // Short max-age: a holder's erasure must reach caches soon; the ETag makes revalidation cheap.
      reply.header('cache-control', access === 'public' ? 'public, max-age=300' : 'private, no-store').header('etag', etag)
      if (request.headers['if-none-match'] === etag) return reply.status(304).send()
      recordCredentialAccess(platform, request, credential, 'pdf_downloaded')
      const { renderCertificate, certificateContentOf, codePointsOf } = await loadRenderer()
      const bytes = await renderCertificate(certificateContentOf(platform, credential), design, {
        onCharactersLeftOut: (characters) =>
          platform.log.info({ credentialId: credential.id, codePoints: characters.map(codePointsOf) }, 'certificate drawn without characters no font has'),
      })
      return sendPdf(reply, bytes, { fileName: `${credential.id}.pdf`, isDownload: request.query.download === '1' })
    },
  )

  const designPage = async (request: TypedRequest<{ params: typeof AchievementParams }>, reply: FastifyReply, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const achievement = await getAchievement(platform.db, scope, request.params.achievementId)
    const design = await getCertificateDesign(platform.db, scope, achievement.id)
    const base = `/orgs/${scope.orgId}/achievements/${achievement.id}/design`
    const csrf = reply.csrfToken()
    const { charactersWithoutFont, codePointsOf } = await loadRenderer()
    const org = await getOrg(platform.db, scope)
    const leftOut = await charactersWithoutFont([
      achievement.name,
      org.name,
      design.signerName,
      design.signerTitle,
      ...design.customFields.flatMap((field) => [field.label, field.value]),
    ])
    return reply.page(
      `Certificate design: ${achievement.name}`,
      <>
        <hgroup>
          <h1 safe>{`Certificate design: ${achievement.name}`}</h1>
          <p>
            The PDF certificate every credential of this achievement downloads as. The preview uses sample data;{' '}
            <a href={`/orgs/${scope.orgId}/achievements/${achievement.id}`}>back to the achievement</a>.
          </p>
        </hgroup>
        {leftOut.length > 0 && (
          <p role="note" safe>
            {`No font has these characters, so certificates leave them out: ${leftOut.map((character) => `${character} (${codePointsOf(character)})`).join(', ')}.`}
          </p>
        )}
        <div class="grid design-grid">
          <div>
            <FormErrorSummary state={state} />
            <form method="post" action={base} data-live-preview="design-preview" novalidate>
              <CsrfField token={csrf} />
              <SelectField name="layout" label="Layout" options={LAYOUTS} value={design.layout} state={state} />
              <SelectField name="paperSize" label="Paper" options={PAPER_SIZES} value={design.paperSize} state={state} />
              <div class="grid">
                <Field name="primaryColor" label="Primary colour" type="color" value={design.primaryColor} state={state} hint="#rrggbb" />
                <Field name="accentColor" label="Accent colour" type="color" value={design.accentColor} state={state} hint="#rrggbb" />
              </div>
              <div class="grid">
                <Field name="signerName" label="Signer's name" value={design.signerName} state={state} />
                <Field name="signerTitle" label="Signer's title" value={design.signerTitle} state={state} />
              </div>
              <fieldset>
                <legend>Custom fields (label and value, shown on the certificate)</legend>
                {Array.from({ length: MAX_CUSTOM_FIELDS }, (_, i) => (
                  <div class="grid">
                    <Field name={`fieldLabel${i}`} label={`Label ${i + 1}`} value={design.customFields[i]?.label} state={state} />
                    <Field name={`fieldValue${i}`} label={`Value ${i + 1}`} value={design.customFields[i]?.value} state={state} />
                  </div>
                ))}
              </fieldset>
              <button type="submit">Save design</button>{' '}
              <button type="submit" class="secondary" formaction={`${base}/preview`} formtarget="design-preview" data-preview-button="">
                Update preview
              </button>
            </form>
            {(['logo', 'signature'] as const).map((which) => (
              <ImageForm which={which} action={`${base}/${which}`} csrf={csrf} hasImage={Boolean(design[which])} state={state} />
            ))}
          </div>
          <div>
            <iframe name="design-preview" class="design-preview" src={`${base}/preview.pdf`} title="Certificate preview (PDF)" />
          </div>
        </div>
      </>,
      { orgId: scope.orgId },
    )
  }

  const sampleContent = async (request: FastifyRequest, achievementName: string): Promise<CertificateContent> => {
    const scope = scopeOf(request)
    const org = await getOrg(platform.db, scope)
    return {
      recipientName: 'Alex Sample',
      achievementName,
      issuerName: org.name,
      validFrom: platform.clock.now(),
      validUntil: null,
      credentialId: 'cred_sample',
      url: publicUrls(platform.config).credential('cred_sample'),
      locale: org.defaultLocale,
    }
  }
  const sendPreview = async (request: TypedRequest<{ params: typeof AchievementParams }>, reply: FastifyReply, design: CertificateDesign) => {
    const achievement = await getAchievement(platform.db, scopeOf(request), request.params.achievementId)
    const bytes = await (await loadRenderer()).renderCertificate(await sampleContent(request, achievement.name), design)
    return sendPdf(reply.header('cache-control', 'no-store'), bytes, { fileName: 'preview.pdf', isDownload: false })
  }

  app.get('/orgs/:orgId/achievements/:achievementId/design', { schema: { params: AchievementParams } }, async (request, reply) => designPage(request, reply))
  app.post('/orgs/:orgId/achievements/:achievementId/design', { schema: { params: AchievementParams } }, async (request, reply) => {
    const { input, errors, values } = designInputFrom(request.body)
    if (!input) return designPage(request, reply.status(422), { errors, values })
    const scope = scopeOf(request)
    const { achievementId } = request.params
    await saveCertificateDesign(platform, scope, achievementId, input)
    reply.flash('success', 'Design saved. Every certificate of this achievement now uses it.')
    return reply.redirect(`/orgs/${scope.orgId}/achievements/${achievementId}/design`)
  })

  app.get('/orgs/:orgId/achievements/:achievementId/design/preview.pdf', { schema: { params: AchievementParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    return sendPreview(request, reply, await getCertificateDesign(platform.db, scope, request.params.achievementId))
  })
  // The design form posts here into the preview frame: the PDF of the values on screen, unsaved.
  app.post('/orgs/:orgId/achievements/:achievementId/design/preview', { schema: { params: AchievementParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const stored = await getCertificateDesign(platform.db, scope, request.params.achievementId)
    const { input, errors } = designInputFrom(request.body)
    if (!input) {
      const html = await (
        <>
          {'<!doctype html>'}
          <html lang="en">
            <head>
              <meta charset="utf-8" />
              <link rel="stylesheet" href="/assets/pico/pico.min.css" />
            </head>
            <body>
              <main class="container">
                <FormErrorSummary state={{ errors }} />
              </main>
            </body>
          </html>
        </>
      )
      return reply
        .status(422)
        .type('text/html; charset=utf-8')
        .header('x-frame-options', 'SAMEORIGIN')
        .header('content-security-policy', "default-src 'self'; frame-ancestors 'self'")
        .send(html)
    }
    return sendPreview(request, reply, mergeDesign(stored, input))
  })

  for (const which of ['logo', 'signature'] as const) {
    app.post(`/orgs/:orgId/achievements/:achievementId/design/${which}`, { schema: imageUploadSchema }, async (request, reply) => {
      const scope = scopeOf(request)
      requireRole(scope, 'staff')
      const { achievementId } = request.params
      await getAchievement(platform.db, scope, achievementId)
      const file = uploadedFile(request.body, which)
      const isRemoval = !file && request.body.remove === '1'
      if (!file && !isRemoval) return designPage(request, reply.status(422), { errors: { [which]: `${DESIGN_IMAGE_LABELS[which]}: choose a PNG file.` } })
      let image: Buffer | null = null
      if (file) {
        try {
          image = await checkDesignImage(file, which)
        } catch (error) {
          if (error instanceof InvalidError) return designPage(request, reply.status(422), { errors: error.fields })
          throw error
        }
      }
      await saveCertificateDesign(platform, scope, achievementId, { [which]: image })
      reply.flash('success', `${DESIGN_IMAGE_LABELS[which]} ${image ? 'saved' : 'removed'}.`)
      return reply.redirect(`/orgs/${scope.orgId}/achievements/${achievementId}/design`)
    })
  }

  app.get(
    '/orgs/:orgId/credentials/bulk/:bulkIssuanceId/certificates.zip',
    { schema: { params: BulkParams, querystring: ZipQuery } },
    async (request, reply) => {
      const scope = scopeOf(request)
      const { bulkIssuanceId } = request.params
      const part = request.query.part ?? 1
      const stream = await streamCertificateZip(platform, scope, bulkIssuanceId, part)
      await platform.audit.recordIn(platform.db, {
        action: 'credentials.certificates_exported',
        orgId: scope.orgId,
        actorAccountId: scope.accountId,
        target: bulkIssuanceId,
        data: { part },
      })
      return reply
        .type('application/zip')
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="certificates-${bulkIssuanceId}${part > 1 ? `-part${part}` : ''}.zip"`)
        .send(stream)
    },
  )
}

function ImageForm({ which, action, csrf, hasImage, state }: { which: DesignImage; action: string; csrf: string; hasImage: boolean; state: FormState }) {
  const label = DESIGN_IMAGE_LABELS[which]
  const error = state.errors?.[which]
  return (
    <article>
      <form method="post" action={action} enctype="multipart/form-data">
        <CsrfField token={csrf} />
        <label for={`field-${which}`} safe>
          {`${label} (PNG, 64 to 2048 pixels a side, up to 1 MB)${hasImage ? ': one is set' : ''}`}
        </label>
        <input id={`field-${which}`} type="file" name={which} accept="image/png" aria-invalid={error ? 'true' : undefined} />
        {error ? (
          <small class="field-error" safe>
            {error}
          </small>
        ) : (
          ''
        )}
        <button type="submit" class="secondary" safe>
          {`Upload ${label.toLowerCase()}`}
        </button>
      </form>
      {hasImage ? (
        <form method="post" action={action}>
          <CsrfField token={csrf} />
          <input type="hidden" name="remove" value="1" />
          <button type="submit" class="secondary outline" safe>
            {`Remove ${label.toLowerCase()}`}
          </button>
        </form>
      ) : (
        ''
      )}
    </article>
  )
}
