import type { FastifyReply, FastifyRequest } from 'fastify'
import QRCode from 'qrcode'
import { Type } from 'typebox'
import { ForbiddenError, InvalidError, NotFoundError } from '../../../platform/errors.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import { uploadedFile } from '../../../platform/http/forms.ts'
import { CsrfField, TableHead } from '../../../platform/ui/components.tsx'
import { findPublicAchievement } from '../achievements.ts'
import { linkSourceOf, recordPageView, recordVerification } from '../analytics/analytics.ts'
import { ANALYTICS_DISCLOSURE } from '../analytics/pages.tsx'
import { PublicAchievementParams, PublicCredentialParams } from '../contract.ts'
import { credentialDetails } from '../credential-details.ts'
import { FieldCheckboxes } from '../field-checkboxes.tsx'
import { isCredentialHolder } from '../holder.ts'
import { badgeFormat, badgePath, bakeBadge, type CredentialFileSource, credentialFromFile, MAX_CREDENTIAL_FILE_BYTES } from '../images/baking.ts'
import type { EvidenceInput, ResultInput } from '../issuance/issuance.ts'
import { lineageOf, SUPERSEDED } from '../issuance/lineage.ts'
import { renderMarkdown } from '../markdown.ts'
import { WITHDRAWN_AT_HOLDERS_REQUEST } from '../privacy.ts'
import { findPublicCredential, indexableCredentialIds, statusOf } from '../queries.ts'
import { KEEPS_NO_VISITOR_ADDRESS, PUBLIC_RATE_LIMIT } from '../routes.ts'
import { DISCLOSABLE_FIELDS, type DisclosableField } from '../schema.ts'
import { StatusBadge } from '../status-badge.tsx'
import { publicUrls } from '../urls.ts'
import { disclosedFields, fieldsFromForm, publishedFields, setHolderChoices, signedFileAccess } from './disclosure.ts'
import { ShareSection, SharingMeta, sharedCredentialOf } from './sharing.tsx'
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
  key_unavailable: 'Cannot be verified: the issuer’s signing key could not be retrieved, so the signature could not be checked.',
  issuer_mismatch: 'Not valid: it is not signed with a key of the issuer it names.',
  status_unknown: 'Status unknown: the issuer’s status list could not be checked, so this credential cannot be called valid.',
  malformed: 'Not a valid credential: the document is not well-formed.',
}

/** The verdict on a credential whose signed file was erased (see verifyIssuerRecord): there is no signature to speak of. */
const VALID_BY_RECORD = 'Valid, by the issuer’s record: the status and the dates check out. The signed file was erased at the holder’s request.'

const IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

/** `?via=` says where a visitor came from (see LINK_SOURCES); unknown values count as direct visits. */
const ViaQuery = Type.Object({ via: Type.Optional(Type.String({ maxLength: 20 })) })
const VerifyForm = Type.Object({ id: Type.Optional(Type.String()) })
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

export async function publicPages(app: TypedApp): Promise<void> {
  const { platform } = app
  const urls = publicUrls(platform.config)

  app.get(
    '/credentials/:credentialId',
    { config: KEEPS_NO_VISITOR_ADDRESS, schema: { params: PublicCredentialParams, querystring: ViaQuery } },
    async (request, reply) => {
      const found = await findPublicCredential(platform.db, request.params.credentialId)
      if (!found) throw new NotFoundError('credential')
      const { credential, achievement } = found
      const status = statusOf(credential, platform.clock.now())
      recordPageView(platform, request, credential, status)
      const shared = sharedCredentialOf(platform.config, found)
      const isHolder = await isCredentialHolder(platform, request.auth, credential)
      const issuer = (credential.document.issuer ?? {}) as { id?: string; name?: string }
      const pageUrl = urls.credential(credential.id)
      const orgFields = publishedFields(found.orgPublicFields)
      const shown = disclosedFields(orgFields, credential)
      const lineage = await lineageOf(platform.db, credential)
      const { result, evidence } = credentialDetails(credential.document)
      const isSuperseded = credential.revocationReason === SUPERSEDED && lineage.replacedBy
      const mayDownload = !credential.erasedAt && (await signedFileAccess(platform, request.auth, found)) !== 'denied'
      const isWithdrawn = credential.revocationReason === WITHDRAWN_AT_HOLDERS_REQUEST
      if (!credential.isIndexable) reply.header('x-robots-tag', 'noindex')
      const achievementName = shared.achievementName
      // A credential withdrawn when its holder was erased keeps no name.
      const showsName = shown.has('holderName') && credential.recipientName !== ''
      return reply.page(
        showsName ? `${achievementName} — ${credential.recipientName}` : achievementName,
        <article class={`public-credential status-${status}`}>
          {isHolder ? (
            <p class="flash flash-info">
              This is your credential. <a href={`/credentials/${credential.id}/verifications`}>See how often and how it was verified</a>.
            </p>
          ) : (
            ''
          )}
          <header>
            <StatusBadge status={status} />{' '}
            <strong>
              {isSuperseded
                ? 'This credential was replaced by a corrected one.'
                : isWithdrawn
                  ? 'This credential was withdrawn at the holder’s request.'
                  : STATUS_SENTENCES[status]}
            </strong>
            {isSuperseded ? (
              <p>
                <a href={`/credentials/${lineage.replacedBy}`} data-lineage="replaced-by">
                  See the corrected credential
                </a>
              </p>
            ) : credential.revokedAt && credential.revocationReason && !isWithdrawn ? (
              <p safe>{`Reason given: ${credential.revocationReason}`}</p>
            ) : (
              ''
            )}
            {credential.erasedAt && !isWithdrawn ? (
              <p data-erased="true">
                Its holder asked for their data to be erased: this page shows the record the issuer keeps so that the credential can still be verified.
              </p>
            ) : (
              ''
            )}
            {lineage.replaces ? (
              <p>
                This credential corrects{' '}
                <a href={`/credentials/${lineage.replaces}`} data-lineage="replaces">
                  an earlier one
                </a>
                .
              </p>
            ) : (
              ''
            )}
          </header>
          <div class="grid">
            <div>
              {achievement?.imageType ? <img src={`/achievements/${achievement.id}/image`} alt={`${achievementName} badge`} width="180" height="180" /> : ''}
            </div>
            <div>
              {showsName ? <h1 safe>{credential.recipientName}</h1> : <h1>A credential holder</h1>}
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
                {shown.has('issueDate') ? (
                  <>
                    <dt>Issued on</dt>
                    <dd safe>{credential.validFrom.toISOString().slice(0, 10)}</dd>
                  </>
                ) : (
                  ''
                )}
                {shown.has('expiry') ? (
                  <>
                    <dt>Expires</dt>
                    <dd>{credential.validUntil ? credential.validUntil.toISOString().slice(0, 10) : 'Never'}</dd>
                  </>
                ) : (
                  ''
                )}
                {result && shown.has('result') ? (
                  <>
                    <dt>Result</dt>
                    <dd data-field="result" safe>
                      {describeResult(result)}
                    </dd>
                  </>
                ) : (
                  ''
                )}
              </dl>
            </div>
            <div>
              <img src={await qrCodeDataUri(pageUrl)} alt={`QR code linking to ${pageUrl}`} width="160" height="160" class="qr-code" />
            </div>
          </div>
          {evidence.length > 0 && shown.has('evidence') ? <EvidenceList evidence={evidence} /> : ''}
          {achievement ? (
            <p>
              <a href={`/achievements/${achievement.id}`}>What this achievement means</a>
            </p>
          ) : (
            ''
          )}
          <ShareSection config={platform.config} shared={shared} isOpen={isHolder || linkSourceOf(request) === 'email'} />
          <p>
            <small>{ANALYTICS_DISCLOSURE}</small>
          </p>
          {isHolder ? (
            <HolderDisclosureForm
              credentialId={credential.id}
              orgFields={orgFields}
              shown={shown}
              isIndexable={credential.isIndexable}
              csrfToken={reply.csrfToken()}
            />
          ) : (
            ''
          )}
          <footer>
            {mayDownload ? (
              <>
                <a href={`/credentials/${credential.id}.pdf?download=1`} role="button" class="secondary">
                  Download the certificate (PDF)
                </a>{' '}
                <a href={`/credentials/${credential.id}.json`} role="button" class="secondary" download="">
                  Download the signed credential (JSON)
                </a>{' '}
                {achievement?.imageType ? (
                  <>
                    <a href={badgePath(credential.id, achievement.imageType)} role="button" class="secondary" download="" safe>
                      {`Download baked badge (${badgeFormat(achievement.imageType)})`}
                    </a>{' '}
                  </>
                ) : (
                  ''
                )}
              </>
            ) : (
              ''
            )}
            <a href={`/verify?id=${credential.id}`} role="button" class="secondary outline">
              Verify its signature
            </a>
          </footer>
        </article>,
        {
          head: (
            <>
              {credential.isIndexable ? '' : <meta name="robots" content="noindex" />}
              <SharingMeta config={platform.config} shared={shared} />
            </>
          ),
        },
      )
    },
  )

  app.get('/robots.txt', { config: { skipAudit: true }, schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(robotsTxt(await indexableCredentialIds(platform.db))),
  )

  app.post('/credentials/:credentialId/disclosure', { schema: { params: PublicCredentialParams } }, async (request, reply) => {
    const { credentialId } = request.params
    const shown = fieldsFromForm(request.body)
    const isIndexable = (request.body as Record<string, unknown> | undefined)?.indexable === 'on'
    await setHolderChoices(platform, request.auth, credentialId, { hiddenFields: DISCLOSABLE_FIELDS.filter((field) => !shown.includes(field)), isIndexable })
    reply.flash('success', 'Saved. The public page now shows only what you ticked; your signed file is unchanged.')
    return reply.redirect(`/credentials/${credentialId}`)
  })

  app.get('/achievements/:achievementId', { schema: { params: PublicAchievementParams } }, async (request, reply) => {
    const achievement = await findPublicAchievement(platform.db, request.params.achievementId)
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
    const achievement = await findPublicAchievement(platform.db, request.params.achievementId)
    if (!achievement?.imageData || !achievement.imageType) throw new NotFoundError('image')
    return (
      reply
        .type(achievement.imageType)
        .header('cache-control', 'public, max-age=300')
        // Badge snippets show this image on other websites.
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('content-security-policy', IMAGE_CSP)
        .send(achievement.imageData)
    )
  })

  // The Open Badges 3.0 "baked" badge: the achievement image with the signed credential inside.
  for (const extension of ['png', 'svg']) {
    app.get(
      `/credentials/:credentialId/badge.${extension}`,
      { config: { ...PUBLIC_RATE_LIMIT, ...KEEPS_NO_VISITOR_ADDRESS }, schema: { params: PublicCredentialParams } },
      async (request, reply) => {
        const found = await findPublicCredential(platform.db, request.params.credentialId)
        if (!found) throw new NotFoundError('credential')
        const access = await signedFileAccess(platform, request.auth, found)
        if (access === 'denied')
          throw new ForbiddenError('holder_keeps_private', 'The holder keeps some details of this credential private, so its badge file is not public.')
        if (!found.credential.isIndexable) reply.header('x-robots-tag', 'noindex')
        const badge = bakeBadge(found.credential, found.achievement)
        // The achievement image may have changed type since a link was shared.
        const path = badgePath(found.credential.id, badge.type)
        if (!path.endsWith(`.${extension}`)) return reply.redirect(path)
        return reply
          .type(badge.type)
          .header('content-disposition', `attachment; filename="${badge.fileName}"`)
          .header('cache-control', access === 'public' ? 'public, max-age=300' : 'private, no-store')
          .header('content-security-policy', IMAGE_CSP)
          .send(badge.data)
      },
    )
  }

  const verifyPage = (reply: FastifyReply, options: { id?: string; report?: VerificationReport; source?: CredentialFileSource; error?: string } = {}) =>
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
        {options.source && options.source !== 'json' ? (
          <p safe>{`Read from the credential baked into the ${options.source.toUpperCase()} badge image.`}</p>
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
              <label for="verify-file">Credential file (JSON) or baked badge image (PNG or SVG)</label>
              <input id="verify-file" type="file" name="file" accept=".json,application/json,application/ld+json,.png,image/png,.svg,image/svg+xml" />
              <button type="submit">Verify the file</button>
            </form>
          </article>
        </div>
      </>,
    )

  app.get(
    '/verify',
    { config: KEEPS_NO_VISITOR_ADDRESS, schema: { querystring: Type.Object({ id: Type.Optional(Type.String({ maxLength: 500 })) }) } },
    async (request, reply) => {
      const { id } = request.query
      if (!id) return verifyPage(reply)
      return verifyByIdPage(request, reply, id)
    },
  )

  const verifyByIdPage = async (request: FastifyRequest, reply: FastifyReply, id: string) => {
    const result = await verifyById(platform, id)
    if (!result) return verifyPage(reply.status(404), { id, error: `No credential ${id} is known here.` })
    recordVerification(platform, request, 'verify-page', { credential: result.credential }, result.report)
    return verifyPage(reply, { id, report: result.report })
  }

  app.post(
    '/verify',
    { config: { rateLimit: { max: 120, timeWindow: '1 minute' }, ...KEEPS_NO_VISITOR_ADDRESS }, schema: { body: VerifyForm } },
    async (request, reply) => {
      const file = uploadedFile(request.body, 'file')
      if (file) {
        if (file.data.length > MAX_CREDENTIAL_FILE_BYTES) {
          return verifyPage(reply.status(413), {
            error: `The file is larger than ${MAX_CREDENTIAL_FILE_BYTES / 1024 / 1024} MB; a credential or a baked badge is much smaller.`,
          })
        }
        let upload: ReturnType<typeof credentialFromFile>
        try {
          upload = credentialFromFile(file.data)
        } catch (error) {
          if (error instanceof InvalidError) return verifyPage(reply.status(422), { error: error.message })
          throw error
        }
        const report = await verifyDocument(platform, upload.document)
        recordVerification(platform, request, 'verify-page', { document: upload.document }, report)
        return verifyPage(reply, { report, source: upload.source })
      }
      const id = (request.body.id ?? '').trim()
      if (!id) return verifyPage(reply.status(422), { error: 'Enter a credential ID or link, or choose a file.' })
      if (!credentialIdFrom(id)) return verifyPage(reply.status(422), { id, error: 'That is not a credential ID (cred_…) or a link to one.' })
      return verifyByIdPage(request, reply, id)
    },
  )
}

/** Prefixes of pages about a person, kept out of search engines (there are no public profiles yet). */
const PERSONAL_PREFIXES = ['/credentials/', '/me/', '/account/']

/** Personal pages are disallowed for every crawler, except the credential pages whose holder opted in. */
export function robotsTxt(indexableCredentialIds: string[]): string {
  return [
    '# Pages about a person stay out of search engines unless the person opted in.',
    'User-agent: *',
    ...indexableCredentialIds.map((id) => `Allow: /credentials/${id}$`),
    ...PERSONAL_PREFIXES.map((prefix) => `Disallow: ${prefix}`),
    '',
  ].join('\n')
}

function describeResult(result: ResultInput): string {
  const outOf = result.maxScore === undefined ? '' : ` out of ${result.maxScore}`
  const taken = result.takenOn ? `, taken on ${result.takenOn.toISOString().slice(0, 10)}` : ''
  return `Score ${result.score}${outOf} (pass mark ${result.passMark})${taken}`
}

function EvidenceList({ evidence }: { evidence: EvidenceInput[] }) {
  return (
    <section data-field="evidence">
      <h2>Evidence</h2>
      <ul>
        {evidence.map((item) => (
          <li>
            {item.url ? (
              <a href={item.url} rel="noopener noreferrer nofollow" safe>
                {item.name ?? item.url}
              </a>
            ) : (
              <strong safe>{item.name ?? 'Evidence'}</strong>
            )}
            {item.narrative ? <p safe>{item.narrative}</p> : ''}
          </li>
        ))}
      </ul>
    </section>
  )
}

function HolderDisclosureForm(props: {
  credentialId: string
  orgFields: DisclosableField[]
  shown: Set<DisclosableField>
  isIndexable: boolean
  csrfToken: string
}) {
  return (
    <details class="holder-disclosure">
      <summary>You hold this credential: choose what this page shows</summary>
      <form method="post" action={`/credentials/${props.credentialId}/disclosure`}>
        <CsrfField token={props.csrfToken} />
        <FieldCheckboxes legend="Show on the public page" fields={props.orgFields} isShown={(field) => props.shown.has(field)} />
        <label>
          <input type="checkbox" name="indexable" checked={props.isIndexable} /> Let search engines index this page (off: it is kept out of search results)
        </label>
        <p>
          <small>
            Your signed credential file is unchanged and still verifies; only this page and its public JSON change. Fields your issuer does not publish are not
            listed.
          </small>
        </p>
        <button type="submit">Save</button>
      </form>
    </details>
  )
}

function VerificationResult({ report }: { report: VerificationReport }) {
  const isValid = report.verdict === 'valid'
  return (
    <article class={`verification ${isValid ? 'verification-valid' : 'verification-invalid'}`} data-verdict={report.verdict}>
      <header>
        <strong safe>{isValid && report.checks.some((check) => check.name === 'record') ? VALID_BY_RECORD : VERDICT_SENTENCES[report.verdict]}</strong>
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
