import type { FastifyReply, FastifyRequest } from 'fastify'
import QRCode from 'qrcode'
import { Type } from 'typebox'
import { ForbiddenError, InvalidError, NotFoundError } from '../../../platform/errors.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import { uploadedFile } from '../../../platform/http/forms.ts'
import { LanguagePicker } from '../../../platform/i18n/language-picker.tsx'
import type { MessageId, Messages } from '../../../platform/i18n/messages.ts'
import { CsrfField, TableHead } from '../../../platform/ui/components.tsx'
import { findPublicAchievement } from '../achievements.ts'
import { linkSourceOf, recordPageView, recordVerification } from '../analytics/analytics.ts'
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
      const m = request.preferLocale(credential.locale)
      const status = statusOf(credential, platform.clock.now())
      recordPageView(platform, request, credential, status)
      const shared = sharedCredentialOf(platform.config, found, m)
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
      // Rich-text messages: the values are escaped inside m.html.
      const safeHolderNotice = m.html('credential.holderNotice', {}, { link: (text) => `<a href="/credentials/${credential.id}/verifications">${text}</a>` })
      const safeCorrects = m.html(
        'credential.corrects',
        {},
        { link: (text) => `<a href="/credentials/${lineage.replaces}" data-lineage="replaces">${text}</a>` },
      )
      const safeEarned = m.html('credential.earned', { achievementName }, { strong: (text) => `<strong>${text}</strong>` })
      return reply.page(
        showsName ? `${achievementName} — ${credential.recipientName}` : achievementName,
        <article class={`public-credential status-${status}`}>
          {isHolder ? <p class="flash flash-info">{safeHolderNotice}</p> : ''}
          <header>
            <StatusBadge status={status} messages={m} />{' '}
            <strong safe>
              {m.t(isSuperseded ? 'credential.sentence.replaced' : isWithdrawn ? 'credential.sentence.withdrawn' : `credential.sentence.${status}`)}
            </strong>
            {isSuperseded ? (
              <p>
                <a href={`/credentials/${lineage.replacedBy}`} data-lineage="replaced-by" safe>
                  {m.t('credential.seeCorrected')}
                </a>
              </p>
            ) : credential.revokedAt && credential.revocationReason && !isWithdrawn ? (
              <p safe>{m.t('credential.reasonGiven', { reason: credential.revocationReason })}</p>
            ) : (
              ''
            )}
            {credential.erasedAt && !isWithdrawn ? (
              <p data-erased="true" safe>
                {m.t('credential.erased')}
              </p>
            ) : (
              ''
            )}
            {lineage.replaces ? <p>{safeCorrects}</p> : ''}
          </header>
          <div class="grid">
            <div>
              {achievement?.imageType ? (
                <img src={`/achievements/${achievement.id}/image`} alt={m.t('credential.badgeAlt', { achievementName })} width="180" height="180" />
              ) : (
                ''
              )}
            </div>
            <div>
              <h1 safe>{showsName ? credential.recipientName : m.t('credential.anonymousHolder')}</h1>
              <p>{safeEarned}</p>
              <dl>
                <dt safe>{m.t('credential.issuedBy')}</dt>
                <dd>
                  <span safe>{issuer.name ?? ''}</span>
                  <br />
                  <small>
                    <code safe>{issuer.id ?? ''}</code>
                  </small>
                </dd>
                {shown.has('issueDate') ? (
                  <>
                    <dt safe>{m.t('credential.issuedOn')}</dt>
                    <dd safe>{m.date(credential.validFrom)}</dd>
                  </>
                ) : (
                  ''
                )}
                {shown.has('expiry') ? (
                  <>
                    <dt safe>{m.t('credential.expires')}</dt>
                    <dd safe>{credential.validUntil ? m.date(credential.validUntil) : m.t('credential.expiresNever')}</dd>
                  </>
                ) : (
                  ''
                )}
                {result && shown.has('result') ? (
                  <>
                    <dt safe>{m.t('credential.result')}</dt>
                    <dd data-field="result" safe>
                      {describeResult(result, m)}
                    </dd>
                  </>
                ) : (
                  ''
                )}
              </dl>
            </div>
            <div>
              <img src={await qrCodeDataUri(pageUrl)} alt={m.t('credential.qrAlt', { url: pageUrl })} width="160" height="160" class="qr-code" />
            </div>
          </div>
          {evidence.length > 0 && shown.has('evidence') ? <EvidenceList evidence={evidence} messages={m} /> : ''}
          {achievement ? (
            <p>
              <a href={`/achievements/${achievement.id}`} safe>
                {m.t('credential.whatItMeans')}
              </a>
            </p>
          ) : (
            ''
          )}
          <ShareSection config={platform.config} shared={shared} messages={m} isOpen={isHolder || linkSourceOf(request) === 'email'} />
          <p>
            <small safe>{m.t('credential.analyticsDisclosure')}</small>
          </p>
          {isHolder ? (
            <HolderDisclosureForm
              credentialId={credential.id}
              orgFields={orgFields}
              shown={shown}
              isIndexable={credential.isIndexable}
              csrfToken={reply.csrfToken()}
              messages={m}
            />
          ) : (
            ''
          )}
          <footer>
            {mayDownload ? (
              <>
                <a href={`/credentials/${credential.id}.pdf?download=1`} role="button" class="secondary" safe>
                  {m.t('credential.downloadPdf')}
                </a>{' '}
                <a href={`/credentials/${credential.id}.json`} role="button" class="secondary" download="" safe>
                  {m.t('credential.downloadJson')}
                </a>{' '}
                {achievement?.imageType ? (
                  <>
                    <a href={badgePath(credential.id, achievement.imageType)} role="button" class="secondary" download="" safe>
                      {m.t('credential.downloadBadge', { format: badgeFormat(achievement.imageType) })}
                    </a>{' '}
                  </>
                ) : (
                  ''
                )}
              </>
            ) : (
              ''
            )}
            <a href={`/verify?id=${credential.id}`} role="button" class="secondary outline" safe>
              {m.t('credential.verifySignature')}
            </a>
          </footer>
          <LanguagePicker messages={m} url={request.url} />
        </article>,
        {
          head: (
            <>
              {credential.isIndexable ? '' : <meta name="robots" content="noindex" />}
              <SharingMeta config={platform.config} shared={shared} messages={m} />
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
    reply.flash('success', request.messages.t('credential.disclosure.saved'))
    return reply.redirect(`/credentials/${credentialId}`)
  })

  app.get('/achievements/:achievementId', { schema: { params: PublicAchievementParams } }, async (request, reply) => {
    const achievement = await findPublicAchievement(platform.db, request.params.achievementId)
    if (!achievement) throw new NotFoundError('achievement')
    const safeCriteria = renderMarkdown(achievement.criteria)
    const m = request.messages
    return reply.page(
      achievement.name,
      <article>
        <hgroup>
          <h1 safe>{achievement.name}</h1>
          <p safe>{achievement.description}</p>
        </hgroup>
        {achievement.imageType ? (
          <img src={`/achievements/${achievement.id}/image`} alt={m.t('credential.badgeAlt', { achievementName: achievement.name })} width="160" height="160" />
        ) : (
          ''
        )}
        <h2 safe>{m.t('achievement.criteria')}</h2>
        <div class="criteria">{safeCriteria}</div>
        {achievement.alignments.length > 0 ? (
          <>
            <h2 safe>{m.t('achievement.alignedWith')}</h2>
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
        <LanguagePicker messages={m} url={request.url} />
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

  const verifyPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    options: { id?: string; report?: VerificationReport; source?: CredentialFileSource; error?: string } = {},
  ) => {
    const m = request.messages
    return reply.page(
      m.t('verify.title'),
      <>
        <h1 safe>{m.t('verify.title')}</h1>
        <p safe>{m.t('verify.intro')}</p>
        {options.error ? (
          <p class="flash flash-error" role="alert" safe>
            {options.error}
          </p>
        ) : (
          ''
        )}
        {options.source && options.source !== 'json' ? <p safe>{m.t('verify.readFromBadge', { format: options.source.toUpperCase() })}</p> : ''}
        {options.report ? <VerificationResult report={options.report} messages={m} /> : ''}
        <div class="grid">
          <article>
            <h2 safe>{m.t('verify.byId')}</h2>
            <form method="post" action="/verify" enctype="multipart/form-data">
              <CsrfField token={reply.csrfToken()} />
              <label for="verify-id" safe>
                {m.t('verify.idLabel')}
              </label>
              <input id="verify-id" name="id" value={options.id ?? ''} placeholder={m.t('verify.idPlaceholder')} />
              <button type="submit" safe>
                {m.t('verify.submit')}
              </button>
            </form>
          </article>
          <article>
            <h2 safe>{m.t('verify.byFile')}</h2>
            <form method="post" action="/verify" enctype="multipart/form-data">
              <CsrfField token={reply.csrfToken()} />
              <label for="verify-file" safe>
                {m.t('verify.fileLabel')}
              </label>
              <input id="verify-file" type="file" name="file" accept=".json,application/json,application/ld+json,.png,image/png,.svg,image/svg+xml" />
              <button type="submit" safe>
                {m.t('verify.submitFile')}
              </button>
            </form>
          </article>
        </div>
        <LanguagePicker messages={m} url={request.url} />
      </>,
    )
  }

  app.get(
    '/verify',
    { config: KEEPS_NO_VISITOR_ADDRESS, schema: { querystring: Type.Object({ id: Type.Optional(Type.String({ maxLength: 500 })) }) } },
    async (request, reply) => {
      const { id } = request.query
      if (!id) return verifyPage(request, reply)
      return verifyByIdPage(request, reply, id)
    },
  )

  const verifyByIdPage = async (request: FastifyRequest, reply: FastifyReply, id: string) => {
    const result = await verifyById(platform, id)
    if (!result) return verifyPage(request, reply.status(404), { id, error: request.messages.t('verify.error.unknownId', { id }) })
    recordVerification(platform, request, 'verify-page', { credential: result.credential }, result.report)
    return verifyPage(request, reply, { id, report: result.report })
  }

  app.post(
    '/verify',
    { config: { rateLimit: { max: 120, timeWindow: '1 minute' }, ...KEEPS_NO_VISITOR_ADDRESS }, schema: { body: VerifyForm } },
    async (request, reply) => {
      const file = uploadedFile(request.body, 'file')
      if (file) {
        if (file.data.length > MAX_CREDENTIAL_FILE_BYTES) {
          return verifyPage(request, reply.status(413), {
            error: request.messages.t('verify.error.tooLarge', { megabytes: MAX_CREDENTIAL_FILE_BYTES / 1024 / 1024 }),
          })
        }
        let upload: ReturnType<typeof credentialFromFile>
        try {
          upload = credentialFromFile(file.data)
        } catch (error) {
          if (error instanceof InvalidError) return verifyPage(request, reply.status(422), { error: error.message })
          throw error
        }
        const report = await verifyDocument(platform, upload.document)
        recordVerification(platform, request, 'verify-page', { document: upload.document }, report)
        return verifyPage(request, reply, { report, source: upload.source })
      }
      const id = (request.body.id ?? '').trim()
      if (!id) return verifyPage(request, reply.status(422), { error: request.messages.t('verify.error.empty') })
      if (!credentialIdFrom(id)) return verifyPage(request, reply.status(422), { id, error: request.messages.t('verify.error.notAnId') })
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

function describeResult(result: ResultInput, m: Messages): string {
  const score = m.number(result.score)
  const scoreText =
    result.maxScore === undefined ? m.t('credential.score', { score }) : m.t('credential.scoreOutOf', { score, maxScore: m.number(result.maxScore) })
  const resultText = m.t('credential.passMark', { scoreText, passMark: m.number(result.passMark) })
  return result.takenOn ? m.t('credential.takenOn', { resultText, date: m.date(result.takenOn) }) : resultText
}

function EvidenceList({ evidence, messages: m }: { evidence: EvidenceInput[]; messages: Messages }) {
  return (
    <section data-field="evidence">
      <h2 safe>{m.t('credential.evidence')}</h2>
      <ul>
        {evidence.map((item) => (
          <li>
            {item.url ? (
              <a href={item.url} rel="noopener noreferrer nofollow" safe>
                {item.name ?? item.url}
              </a>
            ) : (
              <strong safe>{item.name ?? m.t('credential.evidence')}</strong>
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
  messages: Messages
}) {
  const m = props.messages
  return (
    <details class="holder-disclosure">
      <summary safe>{m.t('credential.disclosure.summary')}</summary>
      <form method="post" action={`/credentials/${props.credentialId}/disclosure`}>
        <CsrfField token={props.csrfToken} />
        <FieldCheckboxes legend={m.t('credential.disclosure.legend')} fields={props.orgFields} isShown={(field) => props.shown.has(field)} messages={m} />
        <label>
          <input type="checkbox" name="indexable" checked={props.isIndexable} /> <span safe>{m.t('credential.disclosure.indexable')}</span>
        </label>
        <p>
          <small safe>{m.t('credential.disclosure.note')}</small>
        </p>
        <button type="submit" safe>
          {m.t('credential.disclosure.save')}
        </button>
      </form>
    </details>
  )
}

/** Check names as verify.ts reports them; a check it adds later shows under its own name until translated. */
const CHECK_NAMES: Record<string, MessageId> = {
  signature: 'verify.check.signature',
  issuer: 'verify.check.issuer',
  status: 'verify.check.status',
  validity: 'verify.check.validity',
  schema: 'verify.check.schema',
  record: 'verify.check.record',
}

function VerificationResult({ report, messages: m }: { report: VerificationReport; messages: Messages }) {
  const isValid = report.verdict === 'valid'
  const isByRecord = isValid && report.checks.some((check) => check.name === 'record')
  return (
    <article class={`verification ${isValid ? 'verification-valid' : 'verification-invalid'}`} data-verdict={report.verdict}>
      <header>
        <strong safe>{m.t(isByRecord ? 'verify.verdict.validByRecord' : `verify.verdict.${report.verdict}`)}</strong>
      </header>
      <table>
        <TableHead columns={[m.t('verify.column.check'), m.t('verify.column.result'), m.t('verify.column.why')]} />
        <tbody>
          {report.checks.map((check) => {
            const nameId = CHECK_NAMES[check.name]
            const label: string = nameId ? m.t(nameId) : check.name
            return (
              <tr data-check={check.name} data-ok={String(check.ok)}>
                <td safe>{label}</td>
                <td safe>{m.t(check.ok ? 'verify.pass' : 'verify.fail')}</td>
                <td safe>{check.detail}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </article>
  )
}
