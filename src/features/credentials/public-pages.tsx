import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import QRCode from 'qrcode'
import { Type } from 'typebox'
import { NotFoundError } from '../../platform/errors.ts'
import { uploadedFile } from '../../platform/http/forms.ts'
import { CsrfField, TableHead } from '../../platform/ui/components.tsx'
import { findPublicAchievement } from './achievements.ts'
import { isCredentialHolder, linkSourceOf, recordPageView, recordVerification } from './analytics.ts'
import { ANALYTICS_DISCLOSURE } from './analytics-pages.tsx'
import { PublicAchievementParams, PublicCredentialParams } from './contract.ts'
import { renderMarkdown } from './markdown.ts'
import { findPublicCredential, statusOf } from './queries.ts'
import { ShareSection, SharingMeta, sharedCredentialOf } from './sharing.tsx'
import { StatusBadge } from './status-badge.tsx'
import { publicUrls } from './urls.ts'
import { credentialIdFrom, type VerificationReport, verifyById, verifyDocument } from './verification.ts'

const STATUS_SENTENCES = {
  valid: 'This credential is valid.',
  revoked: 'This credential was revoked by its issuer.',
  suspended: 'This credential is suspended by its issuer.',
  expired: 'This credential has expired.',
  not_yet_valid: 'This credential is not valid yet.',
} as const

const VERDICT_SENTENCES: Record<VerificationReport['verdict'], string> = {
  valid: 'Verified: the signature, the issuer, the status and the dates all check out.',
  revoked: 'Not valid: the issuer revoked this credential.',
  suspended: 'Not valid: the issuer suspended this credential.',
  expired: 'Not valid: this credential has expired.',
  not_yet_valid: 'Not valid yet: its validity starts later.',
  invalid_signature: 'Not valid: the signature does not match the content. It was changed after signing, or not signed by this issuer.',
  status_unknown: 'Status unknown: the issuer’s status list could not be checked, so this credential cannot be called valid.',
  malformed: 'Not a valid credential: the document is not well-formed.',
}

/** `?via=` says where a visitor came from (see LINK_SOURCES); unknown values count as direct visits. */
const ViaQuery = Type.Object({ via: Type.Optional(Type.String({ maxLength: 20 })) })

const MAX_UPLOAD_BYTES = 2 * 1024 * 1024
const QR_CACHE_SIZE = 5000
const qrCodes = new Map<string, string>()

/** The QR code of a page URL as a data URI; URLs never change, so each is drawn once (drawing costs more than the rest of the page). */
async function qrCodeDataUri(url: string): Promise<string> {
  let dataUri = qrCodes.get(url)
  if (!dataUri) {
    const svg = await QRCode.toString(url, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' })
    dataUri = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`
    if (qrCodes.size >= QR_CACHE_SIZE) qrCodes.delete(qrCodes.keys().next().value ?? '')
    qrCodes.set(url, dataUri)
  }
  return dataUri
}

export async function publicPages(app: FastifyInstance): Promise<void> {
  const { platform } = app
  const urls = publicUrls(platform.config)

  app.get('/credentials/:credentialId', { schema: { params: PublicCredentialParams, querystring: ViaQuery } }, async (request, reply) => {
    const found = await findPublicCredential(platform.db, (request.params as { credentialId: string }).credentialId)
    if (!found) throw new NotFoundError('credential')
    const { credential, achievement } = found
    const status = statusOf(credential, platform.clock.now())
    recordPageView(platform, request, credential, status)
    const shared = sharedCredentialOf(platform.config, found)
    const isHolder = await isCredentialHolder(platform, request.auth, credential)
    const issuer = (credential.document.issuer ?? {}) as { id?: string; name?: string }
    const pageUrl = urls.credential(credential.id)
    const qrCode = await qrCodeDataUri(pageUrl)
    if (!credential.isIndexable) reply.header('x-robots-tag', 'noindex')
    const achievementName = shared.achievementName
    return reply.page(
      `${achievementName} — ${credential.recipientName}`,
      <article class={`public-credential status-${status}`}>
        {isHolder ? (
          <p class="flash flash-info">
            This is your credential. <a href={`/credentials/${credential.id}/verifications`}>See how often and how it was verified</a>.
          </p>
        ) : (
          ''
        )}
        <header>
          <StatusBadge status={status} /> <strong>{STATUS_SENTENCES[status]}</strong>
          {credential.revokedAt && credential.revocationReason ? <p safe>{`Reason given: ${credential.revocationReason}`}</p> : ''}
        </header>
        <div class="grid">
          <div>
            {achievement?.imageType ? <img src={`/achievements/${achievement.id}/image`} alt={`${achievementName} badge`} width="180" height="180" /> : ''}
          </div>
          <div>
            <h1 safe>{credential.recipientName}</h1>
            <p>
              earned <strong safe>{achievementName}</strong>
            </p>
            <dl>
              <dt>Issued by</dt>
              <dd>
                <span safe>{issuer.name ?? ''}</span>
                <br />
                <small>
                  <code safe>{issuer.id ?? ''}</code>
                </small>
              </dd>
              <dt>Issued on</dt>
              <dd safe>{credential.validFrom.toISOString().slice(0, 10)}</dd>
              <dt>Expires</dt>
              <dd>{credential.validUntil ? credential.validUntil.toISOString().slice(0, 10) : 'Never'}</dd>
            </dl>
          </div>
          <div>
            <img
              src={`data:image/svg+xml;base64,${Buffer.from(qrCode).toString('base64')}`}
              alt={`QR code linking to ${pageUrl}`}
              width="160"
              height="160"
              class="qr-code"
            />
          </div>
        </div>
        {achievement ? (
          <p>
            <a href={`/achievements/${achievement.id}`}>What this achievement means</a>
          </p>
        ) : (
          ''
        )}
        <footer>
          <a href={`/credentials/${credential.id}.json`} role="button" class="secondary" download="">
            Download the signed credential (JSON)
          </a>{' '}
          <a href={`/verify?id=${credential.id}`} role="button" class="secondary outline">
            Verify its signature
          </a>
        </footer>
        <ShareSection config={platform.config} shared={shared} isOpen={isHolder || linkSourceOf(request) === 'email'} />
        <p>
          <small>{ANALYTICS_DISCLOSURE}</small>
        </p>
      </article>,
      { head: <SharingMeta config={platform.config} shared={shared} /> },
    )
  })

  // A <meta name="robots"> tag would need a layout slot; the X-Robots-Tag header says the same to crawlers.
  app.get('/achievements/:achievementId', { schema: { params: PublicAchievementParams } }, async (request, reply) => {
    const achievement = await findPublicAchievement(platform.db, (request.params as { achievementId: string }).achievementId)
    if (!achievement) throw new NotFoundError('achievement')
    const safeCriteria = renderMarkdown(achievement.criteria)
    return reply.page(
      achievement.name,
      <article>
        <hgroup>
          <h1 safe>{achievement.name}</h1>
          <p safe>{achievement.description}</p>
        </hgroup>
        {achievement.imageType ? <img src={`/achievements/${achievement.id}/image`} alt={`${achievement.name} badge`} width="160" height="160" /> : ''}
        <h2>Criteria</h2>
        <div class="criteria">{safeCriteria}</div>
        {achievement.alignments.length > 0 ? (
          <>
            <h2>Aligned with</h2>
            <ul>
              {achievement.alignments.map((alignment) => (
                <li>
                  <a href={alignment.targetUrl} rel="noopener noreferrer nofollow" safe>
                    {alignment.targetName}
                  </a>
                </li>
              ))}
            </ul>
          </>
        ) : (
          ''
        )}
      </article>,
    )
  })

  app.get('/achievements/:achievementId/image', { schema: { params: PublicAchievementParams } }, async (request, reply) => {
    const achievement = await findPublicAchievement(platform.db, (request.params as { achievementId: string }).achievementId)
    if (!achievement?.imageData || !achievement.imageType) throw new NotFoundError('image')
    return (
      reply
        .type(achievement.imageType)
        .header('cache-control', 'public, max-age=300')
        // Badge snippets show this image on other websites.
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox")
        .send(achievement.imageData)
    )
  })

  const verifyPage = (reply: FastifyReply, options: { id?: string; report?: VerificationReport; error?: string } = {}) =>
    reply.page(
      'Verify a credential',
      <>
        <h1>Verify a credential</h1>
        <p>
          Check any Open Badges 3.0 or W3C verifiable credential: ours or another issuer's (did:key or did:web). Nothing you upload is stored; we count
          verifications of credentials issued here, with no IP address.
        </p>
        {options.error ? (
          <p class="flash flash-error" role="alert" safe>
            {options.error}
          </p>
        ) : (
          ''
        )}
        {options.report ? <VerificationResult report={options.report} /> : ''}
        <div class="grid">
          <article>
            <h2>By ID or link</h2>
            <form method="post" action="/verify" enctype="multipart/form-data">
              <CsrfField token={reply.csrfToken()} />
              <label for="verify-id">Credential ID or URL</label>
              <input id="verify-id" name="id" value={options.id ?? ''} placeholder="cred_… or https://…" />
              <button type="submit">Verify</button>
            </form>
          </article>
          <article>
            <h2>By file</h2>
            <form method="post" action="/verify" enctype="multipart/form-data">
              <CsrfField token={reply.csrfToken()} />
              <label for="verify-file">Credential file (JSON)</label>
              <input id="verify-file" type="file" name="file" accept=".json,application/json,application/ld+json" />
              <button type="submit">Verify the file</button>
            </form>
          </article>
        </div>
      </>,
    )

  app.get('/verify', { schema: { querystring: Type.Object({ id: Type.Optional(Type.String({ maxLength: 500 })) }) } }, async (request, reply) => {
    const { id } = request.query as { id?: string }
    if (!id) return verifyPage(reply)
    return verifyByIdPage(request, reply, id)
  })

  const verifyByIdPage = async (request: FastifyRequest, reply: FastifyReply, id: string) => {
    const result = await verifyById(platform, id)
    if (!result) return verifyPage(reply.status(404), { id, error: `No credential ${id} is known here.` })
    recordVerification(platform, request, 'verify-page', { credentialId: result.credentialId }, result.report)
    return verifyPage(reply, { id, report: result.report })
  }

  app.post('/verify', { config: { rateLimit: { max: 120, timeWindow: '1 minute' } } }, async (request, reply) => {
    const file = uploadedFile(request.body, 'file')
    if (file) {
      if (file.data.length > MAX_UPLOAD_BYTES) return verifyPage(reply.status(413), { error: 'The file is larger than 2 MB; a credential is much smaller.' })
      let document: unknown
      try {
        document = JSON.parse(file.data.toString('utf8'))
      } catch {
        return verifyPage(reply.status(422), { error: 'The file is not JSON. Upload the credential file you downloaded (…json).' })
      }
      const report = await verifyDocument(platform, document)
      recordVerification(platform, request, 'verify-page', { document }, report)
      return verifyPage(reply, { report })
    }
    const id = String((request.body as { id?: unknown } | undefined)?.id ?? '').trim()
    if (!id) return verifyPage(reply.status(422), { error: 'Enter a credential ID or link, or choose a file.' })
    if (!credentialIdFrom(id)) return verifyPage(reply.status(422), { id, error: 'That is not a credential ID (cred_…) or a link to one.' })
    return verifyByIdPage(request, reply, id)
  })
}

function VerificationResult({ report }: { report: VerificationReport }) {
  const isValid = report.verdict === 'valid'
  return (
    <article class={`verification ${isValid ? 'verification-valid' : 'verification-invalid'}`} data-verdict={report.verdict}>
      <header>
        <strong safe>{VERDICT_SENTENCES[report.verdict]}</strong>
      </header>
      <table>
        <TableHead columns={['Check', 'Result', 'Why']} />
        <tbody>
          {report.checks.map((check) => (
            <tr data-check={check.name} data-ok={String(check.ok)}>
              <td>{check.name}</td>
              <td>{check.ok ? '✔ pass' : '✘ fail'}</td>
              <td safe>{check.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  )
}
