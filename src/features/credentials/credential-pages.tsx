import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { expectedColumns, sampleRows, sendCsv } from '../../platform/csv.ts'
import { InvalidError } from '../../platform/errors.ts'
import type { TypedApp } from '../../platform/feature.ts'
import { type FieldErrors, parseForm } from '../../platform/http/forms.ts'
import { LanguageSelect } from '../../platform/i18n/language-select.tsx'
import { CsrfField, EmptyState, Field, FormErrorSummary, type FormState, JobProgress, PurposeNotice, SelectField } from '../../platform/ui/components.tsx'
import { CsvPreview, CsvUploadForm, previewCsvUpload } from '../../platform/ui/csv-import.tsx'
import { getOrg, hasRole, requireRole, scopeOf } from '../orgs/service.ts'
import { getAchievement, listAchievements } from './achievements.ts'
import { loadVerificationLog, VerificationLog } from './analytics/pages.tsx'
import { BulkParams, CredentialParams, ErasurePolicyForm, IssueForm, IssuerSettingsForm, ReissueForm, RevokeForm } from './contract.ts'
import { bulkDeliveryCounts, getDelivery } from './delivery/delivery.ts'
import { BulkDeliverySummary, DeliveryPanel } from './delivery/pages.tsx'
import { FieldCheckboxes } from './field-checkboxes.tsx'
import { badgeFormat, badgePath } from './images/baking.ts'
import { BULK_ISSUANCE_CSV, confirmBulkIssuance, getBulkIssuance, previewBulkIssuance } from './issuance/bulk.ts'
import { issueCredential } from './issuance/issuance.ts'
import { type DidMethod, getIssuerSettings, getIssuingSigner, rotateIssuerKey, setIssuerSettings } from './issuance/issuer.ts'
import { lineageOf, reissueCredential } from './issuance/lineage.ts'
import { issueBulkJob } from './jobs.ts'
import { countCertificateZipParts } from './pdf/zip.ts'
import { ERASURE_POLICY_LABELS, fieldsFromForm, orgErasurePolicy, orgPublicFields, setErasurePolicy, setOrgPublicFields } from './public/disclosure.ts'
import { getCredential, statusOf } from './queries.ts'
import { DISCLOSABLE_FIELDS, type ErasurePolicy } from './schema.ts'
import { reinstateCredential, revokeCredential, suspendCredential } from './status.ts'
import { StatusBadge } from './status-badge.tsx'

const formatDate = (date: Date | null) => (date ? date.toISOString().slice(0, 10) : '—')
const withDefaults = (state: FormState, defaults: Record<string, string>): FormState => ({ ...state, values: { ...defaults, ...state.values } })
const dateFromForm = (value: string | undefined) => (value ? new Date(`${value}T00:00:00Z`) : undefined)

/** A result on the issue form must be a complete pass. */
function resultProblem(score?: number, passMark?: number, maxScore?: number): FieldErrors | undefined {
  if (score === undefined && passMark === undefined) return undefined
  if (score === undefined) return { score: 'Give both the score and the pass mark, or neither.' }
  if (passMark === undefined) return { passMark: 'Give both the score and the pass mark, or neither.' }
  if (score < passMark) return { score: 'The score is below the pass mark: a credential attests a pass.' }
  if (maxScore !== undefined && score > maxScore) return { maxScore: 'The maximum score is below the score.' }
  return undefined
}

export async function credentialPages(app: TypedApp): Promise<void> {
  const { platform } = app

  const issuePage = async (request: FastifyRequest, reply: FastifyReply, preselected: string | undefined, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const { items } = await listAchievements(platform.db, scope, { page: 1 })
    const org = await getOrg(platform.db, scope)
    return reply.page(
      'Issue a credential',
      <article>
        <h1>Issue a credential</h1>
        {items.length === 0 ? (
          <EmptyState action={{ href: `/orgs/${scope.orgId}/achievements/new`, label: 'Create an achievement' }}>
            Credentials are issued from an achievement: create one first.
          </EmptyState>
        ) : (
          <>
            <FormErrorSummary state={state} />
            <form method="post" action={`/orgs/${scope.orgId}/credentials`} novalidate>
              <CsrfField token={reply.csrfToken()} />
              <SelectField
                name="achievementId"
                label="Achievement"
                options={items.map((item) => ({ value: item.id, label: item.name }))}
                value={preselected}
                state={state}
              />
              <Field name="recipientName" label="Recipient's full name" state={state} required hint="As it should appear on the credential, in any script." />
              <Field name="recipientEmail" label="Recipient's email" type="email" state={state} required />
              <PurposeNotice purpose={RECIPIENT_PURPOSE} />
              <Field name="validFrom" label="Issue date" type="date" state={state} hint="Leave empty for today." />
              <fieldset>
                <legend>Result (optional, for a test or exam)</legend>
                <p>
                  <small>Goes into the signed credential itself, not only onto the certificate.</small>
                </p>
                <div class="grid">
                  <Field name="score" label="Score" type="number" state={state} />
                  <Field name="passMark" label="Pass mark" type="number" state={state} />
                  <Field name="maxScore" label="Maximum score" type="number" state={state} />
                  <Field name="takenOn" label="Taken on" type="date" state={state} />
                </div>
              </fieldset>
              <fieldset>
                <legend>Evidence (optional)</legend>
                <Field name="evidenceUrl" label="Link to the evidence" type="url" state={state} />
                <Field name="evidenceNarrative" label="What the evidence shows" state={state} />
              </fieldset>
              <LanguageSelect name="locale" label="Language of its page, certificate and email" value={org.defaultLocale} state={state} />
              <button type="submit">Sign and issue</button>
            </form>
          </>
        )}
      </article>,
      { orgId: scope.orgId },
    )
  }
  app.get(
    '/orgs/:orgId/credentials/issue',
    { schema: { querystring: Type.Object({ achievementId: Type.Optional(Type.String({ maxLength: 64 })) }) } },
    async (request, reply) => issuePage(request, reply, request.query.achievementId),
  )
  app.post('/orgs/:orgId/credentials', async (request, reply) => {
    const form = parseForm(IssueForm, request.body)
    if (!form.ok) return issuePage(request, reply.status(422), undefined, form)
    const { score, passMark, maxScore, takenOn, evidenceUrl, evidenceNarrative } = form.value
    const resultError = resultProblem(score, passMark, maxScore)
    if (resultError) return issuePage(request, reply.status(422), undefined, { errors: resultError, values: form.values })
    const scope = scopeOf(request)
    const { credential } = await issueCredential(platform, scope, {
      achievementId: form.value.achievementId,
      recipientName: form.value.recipientName,
      recipientEmail: form.value.recipientEmail,
      validFrom: dateFromForm(form.value.validFrom),
      result: score !== undefined && passMark !== undefined ? { score, passMark, maxScore, takenOn: dateFromForm(takenOn) } : undefined,
      evidence: evidenceUrl || evidenceNarrative ? [{ url: evidenceUrl, narrative: evidenceNarrative }] : undefined,
      locale: form.value.locale,
    })
    reply.flash('success', `Issued to ${credential.recipientName}.`)
    return reply.redirect(`/orgs/${scope.orgId}/credentials/${credential.id}`)
  })

  const credentialPage = async (request: FastifyRequest, reply: FastifyReply, credentialId: string, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const credential = await getCredential(platform.db, scope, credentialId)
    const achievement = credential.achievementId ? await getAchievement(platform.db, scope, credential.achievementId) : undefined
    const badgeType = achievement?.imageType ?? undefined
    const status = statusOf(credential, platform.clock.now())
    const lineage = await lineageOf(platform.db, credential)
    const base = `/orgs/${scope.orgId}/credentials/${credential.id}`
    const csrf = reply.csrfToken()
    const verifications = await loadVerificationLog(platform, { orgId: scope.orgId, credentialId: credential.id })
    const delivery = await getDelivery(platform.db, scope, credential.id)
    return reply.page(
      `Credential for ${credential.recipientName}`,
      <>
        <hgroup>
          <h1 safe>{credential.recipientName || credential.id}</h1>
          <p>
            <StatusBadge status={status} /> <code safe>{credential.id}</code>
          </p>
        </hgroup>
        <dl>
          <dt>Achievement</dt>
          <dd>
            {achievement ? (
              <a href={`/orgs/${scope.orgId}/achievements/${achievement.id}`}>
                {achievement.imageType ? <img src={`/achievements/${achievement.id}/image`} alt="" width="48" height="48" /> : ''}{' '}
                <span safe>{achievement.name}</span>
              </a>
            ) : (
              '—'
            )}
          </dd>
          <dt>Recipient email</dt>
          <dd safe>{credential.recipientEmail ?? '—'}</dd>
          <dt>Issued</dt>
          <dd safe>{formatDate(credential.validFrom)}</dd>
          <dt>Expires</dt>
          <dd safe>{formatDate(credential.validUntil)}</dd>
          {credential.revokedAt ? (
            <>
              <dt>Revoked</dt>
              <dd safe>{`${formatDate(credential.revokedAt)}: ${credential.revocationReason ?? ''}`}</dd>
            </>
          ) : (
            ''
          )}
        </dl>
        <p>
          <a href={`/credentials/${credential.id}`}>Public page</a> · <a href={`/credentials/${credential.id}.json`}>Signed JSON</a> ·{' '}
          <a href={`/credentials/${credential.id}.pdf?download=1`}>PDF certificate</a>
          {badgeType ? (
            <>
              {' · '}
              <a href={badgePath(credential.id, badgeType)} safe>{`Baked badge (${badgeFormat(badgeType)})`}</a>
            </>
          ) : (
            ''
          )}
        </p>
        <DeliveryPanel delivery={delivery} action={`${base}/resend`} csrf={csrf} canResend={Boolean(credential.recipientEmail && !credential.revokedAt)} />
        {lineage.replaces || lineage.replacedBy ? (
          <p>
            {lineage.replaces ? <a href={`/orgs/${scope.orgId}/credentials/${lineage.replaces}`}>Corrects an earlier credential</a> : ''}
            {lineage.replaces && lineage.replacedBy ? ' · ' : ''}
            {lineage.replacedBy ? <a href={`/orgs/${scope.orgId}/credentials/${lineage.replacedBy}`}>Replaced by a corrected credential</a> : ''}
          </p>
        ) : (
          ''
        )}
        {credential.revokedAt ? (
          ''
        ) : (
          <article>
            <h2>Correct</h2>
            <p>
              Fix a typo in the name or change the validity: a new credential is signed that names this one, this one is revoked as superseded (its page links
              to the new one), and the holder is told by email.
            </p>
            <form method="post" action={`${base}/reissue`} data-confirm="Issue a corrected credential and supersede this one?">
              <CsrfField token={csrf} />
              <div class="grid">
                <Field name="recipientName" label="Recipient's name" state={withDefaults(state, { recipientName: credential.recipientName })} />
                <Field name="validFrom" label="Issue date" type="date" state={withDefaults(state, { validFrom: formatDate(credential.validFrom) })} />
                <Field
                  name="validUntil"
                  label="Expiry date"
                  type="date"
                  hint="Empty: no expiry."
                  state={withDefaults(state, { validUntil: credential.validUntil ? formatDate(credential.validUntil) : '' })}
                />
              </div>
              <button type="submit">Issue the correction</button>
            </form>
          </article>
        )}
        <section id="verification-log">
          <h2>Verification log</h2>
          <VerificationLog log={verifications} href={(page) => `${base}/verifications?page=${page}`} />
        </section>
        {credential.revokedAt ? (
          ''
        ) : (
          <div class="grid">
            <article>
              <h2>Revoke</h2>
              <p>Permanent: verifiers will see it as revoked, with your reason.</p>
              <FormErrorSummary state={state} />
              <form method="post" action={`${base}/revoke`} data-confirm="Revoke this credential? This cannot be undone.">
                <CsrfField token={csrf} />
                <Field name="reason" label="Reason" state={state} />
                <button type="submit" class="contrast">
                  Revoke
                </button>
              </form>
            </article>
            <article>
              <h2>{credential.suspendedAt ? 'Reinstate' : 'Suspend'}</h2>
              <p>{credential.suspendedAt ? 'Make it valid again.' : 'Temporarily invalid, for example during an investigation; you can reinstate it.'}</p>
              <form method="post" action={`${base}/${credential.suspendedAt ? 'reinstate' : 'suspend'}`}>
                <CsrfField token={csrf} />
                <button type="submit" class="secondary">
                  {credential.suspendedAt ? 'Reinstate' : 'Suspend'}
                </button>
              </form>
            </article>
          </div>
        )}
      </>,
      { orgId: scope.orgId },
    )
  }
  app.get('/orgs/:orgId/credentials/:credentialId', { schema: { params: CredentialParams } }, async (request, reply) =>
    credentialPage(request, reply, request.params.credentialId),
  )
  app.post('/orgs/:orgId/credentials/:credentialId/revoke', { schema: { params: CredentialParams } }, async (request, reply) => {
    const form = parseForm(RevokeForm, request.body)
    if (!form.ok) return credentialPage(request, reply.status(422), request.params.credentialId, form)
    const scope = scopeOf(request)
    const { credentialId } = request.params
    await revokeCredential(platform, scope, credentialId, form.value.reason)
    reply.flash('success', 'Revoked. Verifiers see it at once.')
    return reply.redirect(`/orgs/${scope.orgId}/credentials/${credentialId}`)
  })
  app.post('/orgs/:orgId/credentials/:credentialId/reissue', { schema: { params: CredentialParams } }, async (request, reply) => {
    const form = parseForm(ReissueForm, request.body)
    if (!form.ok) return credentialPage(request, reply.status(422), request.params.credentialId, form)
    const scope = scopeOf(request)
    const { credentialId } = request.params
    const corrected = await reissueCredential(platform, scope, credentialId, {
      recipientName: form.value.recipientName,
      validFrom: dateFromForm(form.value.validFrom),
      validUntil: dateFromForm(form.value.validUntil) ?? null,
    })
    reply.flash('success', 'Corrected: the new credential replaces the old one, which now shows as superseded. The holder has been told.')
    return reply.redirect(`/orgs/${scope.orgId}/credentials/${corrected.id}`)
  })

  const disclosurePage = async (request: FastifyRequest, reply: FastifyReply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'admin')
    const fields = await orgPublicFields(platform.db, scope.orgId)
    const erasurePolicy = await orgErasurePolicy(platform.db, scope.orgId)
    return reply.page(
      'What public credential pages show',
      <article>
        <h1>What public credential pages show</h1>
        <p>
          The achievement and the issuer are always shown. Choose which other fields anyone with the link sees; each holder can hide more on their own page. The
          signed credential file always contains everything and still verifies.
        </p>
        <form method="post" action={`/orgs/${scope.orgId}/credentials/disclosure`}>
          <CsrfField token={reply.csrfToken()} />
          <FieldCheckboxes fields={DISCLOSABLE_FIELDS} isShown={(field) => fields.includes(field)} />
          <button type="submit">Save</button>
        </form>
        <h2 id="erasure">When a holder asks to be erased</h2>
        <form method="post" action={`/orgs/${scope.orgId}/credentials/erasure-policy`}>
          <CsrfField token={reply.csrfToken()} />
          <fieldset>
            {(Object.keys(ERASURE_POLICY_LABELS) as ErasurePolicy[]).map((policy) => (
              <label>
                <input type="radio" name="erasurePolicy" value={policy} checked={policy === erasurePolicy} /> <span safe>{ERASURE_POLICY_LABELS[policy]}</span>
              </label>
            ))}
          </fieldset>
          <button type="submit">Save</button>
        </form>
      </article>,
      { orgId: scope.orgId },
    )
  }
  app.get('/orgs/:orgId/credentials/disclosure', async (request, reply) => disclosurePage(request, reply))
  app.post('/orgs/:orgId/credentials/disclosure', async (request, reply) => {
    await setOrgPublicFields(platform, scopeOf(request), fieldsFromForm(request.body))
    reply.flash('success', 'Saved. Public credential pages now show only the ticked fields.')
    return reply.redirect(`/orgs/${scopeOf(request).orgId}/credentials/disclosure`)
  })

  app.post('/orgs/:orgId/credentials/erasure-policy', async (request, reply) => {
    const scope = scopeOf(request)
    const form = parseForm(ErasurePolicyForm, request.body)
    if (!form.ok) {
      reply.flash('error', 'Choose one of the two options.')
    } else {
      await setErasurePolicy(platform, scope, form.value.erasurePolicy)
      reply.flash('success', 'Saved. Erasing a holder now follows the chosen option.')
    }
    return reply.redirect(`/orgs/${scope.orgId}/credentials/disclosure#erasure`)
  })

  for (const action of ['suspend', 'reinstate'] as const) {
    app.post(`/orgs/:orgId/credentials/:credentialId/${action}`, { schema: { params: CredentialParams } }, async (request, reply) => {
      const scope = scopeOf(request)
      const { credentialId } = request.params
      await (action === 'suspend' ? suspendCredential : reinstateCredential)(platform, scope, credentialId)
      reply.flash('success', action === 'suspend' ? 'Suspended.' : 'Reinstated.')
      return reply.redirect(`/orgs/${scope.orgId}/credentials/${credentialId}`)
    })
  }

  // Bulk issuance: upload, preview every row, confirm, then a job with a live progress bar.
  const uploadPage = (request: FastifyRequest, reply: FastifyReply, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    return reply.page(
      'Issue from a CSV file',
      <article>
        <h1>Issue from a CSV file</h1>
        <p>
          One recipient per line, with a header line naming the columns <code safe>{expectedColumns(BULK_ISSUANCE_CSV)}</code>. Nothing is issued until you have
          seen the preview and confirmed.
        </p>
        <CsvUploadForm
          action={`/orgs/${scope.orgId}/credentials/bulk`}
          sampleHref={`/orgs/${scope.orgId}/credentials/bulk/sample.csv`}
          csrfToken={reply.csrfToken()}
          state={state}
          purpose={RECIPIENT_PURPOSE}
        />
      </article>,
      { orgId: scope.orgId },
    )
  }
  app.get('/orgs/:orgId/credentials/bulk', async (request, reply) => uploadPage(request, reply))
  app.get('/orgs/:orgId/credentials/bulk/sample.csv', async (request, reply) => {
    requireRole(scopeOf(request), 'staff')
    return sendCsv(reply, 'credentials-sample.csv', sampleRows(BULK_ISSUANCE_CSV))
  })
  app.post('/orgs/:orgId/credentials/bulk', async (request, reply) => {
    const scope = scopeOf(request)
    const upload = await previewCsvUpload(request.body, (file) => previewBulkIssuance(platform, scope, file))
    if ('state' in upload) return uploadPage(request, reply.status(422), upload.state)
    const { preview } = upload
    return reply.page(
      'Check the file',
      <CsvPreview
        preview={{ ...preview, alreadyDone: preview.alreadyIssued }}
        verb={{ base: 'issue', past: 'issued' }}
        problemsId="bulk-problems"
        confirm={{
          action: `/orgs/${scope.orgId}/credentials/bulk/${preview.id}/confirm`,
          label: `Issue ${preview.validRows} credentials`,
          question: `Sign and issue ${preview.validRows} credentials?`,
        }}
        uploadHref={`/orgs/${scope.orgId}/credentials/bulk`}
        csrfToken={reply.csrfToken()}
        accepted={{
          columns: ['Email', 'Name', 'Achievement', 'Date'],
          rows: preview.toIssue.map((row) => ({ line: row.line, cells: [row.email, row.name, row.achievementName, row.validFrom] })),
        }}
      />,
      { orgId: scope.orgId },
    )
  })
  app.post('/orgs/:orgId/credentials/bulk/:bulkIssuanceId/confirm', { schema: { params: BulkParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    const { bulkIssuanceId } = request.params
    await confirmBulkIssuance(platform, scope, bulkIssuanceId, (db, id) =>
      platform.jobs.enqueue(db, issueBulkJob, { orgId: scope.orgId, bulkIssuanceId: id }, { orgId: scope.orgId, accountId: scope.accountId }),
    )
    return reply.redirect(`/orgs/${scope.orgId}/credentials/bulk/${bulkIssuanceId}`)
  })
  app.get('/orgs/:orgId/credentials/bulk/:bulkIssuanceId', { schema: { params: BulkParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const bulk = await getBulkIssuance(platform, scope, request.params.bulkIssuanceId)
    const [progress, deliveries, zipParts] = await Promise.all([
      bulk.jobId ? platform.jobs.getProgress(bulk.jobId) : undefined,
      bulkDeliveryCounts(platform.db, scope, bulk.id),
      countCertificateZipParts(platform, scope, bulk.id),
    ])
    return reply.page(
      'Issuing credentials',
      <>
        <h1 safe>{`Issuing from ${bulk.fileName}`}</h1>
        {progress ? (
          <JobProgress
            jobId={progress.jobId}
            title={progress.title}
            state={progress.state}
            done={progress.done}
            total={progress.total || bulk.validRows}
            message={progress.message}
          />
        ) : (
          <p>Not confirmed yet.</p>
        )}
        {zipParts > 0 ? (
          <p>
            {Array.from({ length: zipParts }, (_, i) => (
              <>
                <a href={`/orgs/${scope.orgId}/credentials/bulk/${bulk.id}/certificates.zip?part=${i + 1}`} role="button" class="secondary" safe>
                  {zipParts === 1 ? 'Download all PDF certificates (ZIP)' : `PDF certificates, part ${i + 1} of ${zipParts} (ZIP)`}
                </a>{' '}
              </>
            ))}
          </p>
        ) : (
          ''
        )}
        <BulkDeliverySummary counts={deliveries} action={`/orgs/${scope.orgId}/credentials/bulk/${bulk.id}/resend-failed`} csrf={reply.csrfToken()} />
        <p>
          <a href={`/orgs/${scope.orgId}/credentials`}>All credentials</a>
        </p>
      </>,
      { orgId: scope.orgId },
    )
  })

  app.get('/orgs/:orgId/issuer', async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const settings = await getIssuerSettings(platform, scope.orgId)
    const { signer } = await getIssuingSigner(platform, scope.orgId)
    const isAdmin = hasRole(scope.role, 'admin')
    return reply.page(
      'Issuer identity',
      <>
        <h1>Issuer identity</h1>
        <p>Credentials are signed under this DID. Verifiers check the signature against it.</p>
        <dl>
          <dt>DID</dt>
          <dd>
            <code safe>{signer.did}</code>
          </dd>
          <dt>Method</dt>
          <dd>
            {settings.didMethod === 'web' ? (
              <>
                did:web — its document is at <a href={`/issuers/${scope.orgId}/did.json`}>did.json</a> and lists every key, old ones included.
              </>
            ) : (
              'did:key — the DID is the key itself; rotating the key changes the DID, and old credentials keep verifying.'
            )}
          </dd>
          <dt>Signature suite</dt>
          <dd>{CRYPTOSUITE_LABELS[settings.cryptosuite]}</dd>
        </dl>
        {isAdmin ? (
          <>
            <h2>Change how credentials are signed</h2>
            <p>Credentials issued before a change keep verifying. Requests through the VC-API can still ask for another suite.</p>
            <form method="post" action={`/orgs/${scope.orgId}/issuer/settings`}>
              <CsrfField token={reply.csrfToken()} />
              <fieldset>
                <legend>DID method</legend>
                {(Object.keys(DID_METHOD_LABELS) as DidMethod[]).map((method) => (
                  <label>
                    <input type="radio" name="didMethod" value={method} checked={method === settings.didMethod} /> <span safe>{DID_METHOD_LABELS[method]}</span>
                  </label>
                ))}
              </fieldset>
              <fieldset>
                <legend>Signature suite</legend>
                {(Object.keys(CRYPTOSUITE_LABELS) as (keyof typeof CRYPTOSUITE_LABELS)[]).map((suite) => (
                  <label>
                    <input type="radio" name="cryptosuite" value={suite} checked={suite === settings.cryptosuite} /> <span>{CRYPTOSUITE_LABELS[suite]}</span>
                  </label>
                ))}
              </fieldset>
              <button type="submit">Save</button>
            </form>
            <form method="post" action={`/orgs/${scope.orgId}/issuer/rotate`} data-confirm="Make new signing keys? Credentials issued before stay valid.">
              <CsrfField token={reply.csrfToken()} />
              <button type="submit" class="secondary">
                Rotate signing keys
              </button>
            </form>
          </>
        ) : (
          ''
        )}
      </>,
      { orgId: scope.orgId },
    )
  })
  app.post('/orgs/:orgId/issuer/settings', async (request, reply) => {
    const scope = scopeOf(request)
    const form = parseForm(IssuerSettingsForm, request.body)
    if (!form.ok) {
      reply.flash('error', 'Choose a DID method and a signature suite.')
    } else {
      try {
        await setIssuerSettings(platform, scope, form.value)
        reply.flash('success', 'Saved. New credentials are signed this way.')
      } catch (error) {
        if (!(error instanceof InvalidError)) throw error
        reply.flash('error', error.message)
      }
    }
    return reply.redirect(`/orgs/${scope.orgId}/issuer`)
  })
  app.post('/orgs/:orgId/issuer/rotate', async (request, reply) => {
    const scope = scopeOf(request)
    await rotateIssuerKey(platform, scope)
    reply.flash('success', 'A new signing key is active. Earlier credentials still verify.')
    return reply.redirect(`/orgs/${scope.orgId}/issuer`)
  })
}

const DID_METHOD_LABELS: Record<DidMethod, string> = {
  web: 'did:web — one DID for the organisation, served by this site; needs the site to be reachable over https',
  key: 'did:key — the DID is the key itself; works without a public https address',
}

const CRYPTOSUITE_LABELS = {
  'eddsa-rdfc-2022': 'eddsa-rdfc-2022 (Ed25519) — the default, accepted by most verifiers',
  'eddsa-jcs-2022': 'eddsa-jcs-2022 (Ed25519) — signs the JSON as written, for verifiers without JSON-LD',
  'ecdsa-rdfc-2019': 'ecdsa-rdfc-2019 (P-256) — for verifiers limited to NIST curves; needs did:web',
} as const

/** What a recipient's name and address are used for, told where staff enter them. */
const RECIPIENT_PURPOSE =
  'The recipient’s name goes into the signed credential and onto its public page; their email address is used to send it to them and lets them claim it, and appears in the credential only as a hash.'
