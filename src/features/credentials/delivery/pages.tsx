import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { InvalidError } from '../../../platform/errors.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../../platform/http/auth.ts'
import { parseForm } from '../../../platform/http/forms.ts'
import type { MailStatus } from '../../../platform/mail/schema.ts'
import { CsrfField, EmptyState, FormErrorSummary, type FormState, Pagination, TableHead } from '../../../platform/ui/components.tsx'
import { verifiedEmailsOf } from '../../identity/service.ts'
import { getOrg, requireRole, scopeOf } from '../../orgs/service.ts'
import { listAchievements } from '../achievements.ts'
import { BulkParams, CredentialParams, EmailSettingsForm } from '../contract.ts'
import { getBulkIssuance } from '../issuance/bulk.ts'
import { StatusBadge } from '../status-badge.tsx'
import { publicUrls } from '../urls.ts'
import {
  type Delivery,
  type EmailSettings,
  getEmailSettings,
  listCredentialsForEmails,
  renderEmail,
  resendDelivery,
  resendFailedDeliveries,
  saveEmailSettings,
} from './delivery.ts'
import { PLACEHOLDERS } from './template.ts'

const formatTime = (date: Date | null) => (date ? date.toISOString().slice(0, 16).replace('T', ' ') : '—')
const STATE_LABELS = {
  queued: 'Sending',
  sent: 'Sent',
  failed: 'Failed',
  outbox: 'In the outbox',
  held: 'Held: the recipient restricted processing',
} as const satisfies Record<MailStatus, string>

export function DeliveryBadge({ state }: { state: MailStatus | null }) {
  return state ? (
    <span class={`badge delivery delivery-${state}`} data-delivery={state}>
      {STATE_LABELS[state]}
    </span>
  ) : (
    <span class="badge delivery" data-delivery="none">
      Not emailed
    </span>
  )
}

/** The credential's email on its staff page: state, attempts, last error, and a Resend button. */
export function DeliveryPanel({ delivery, action, csrf, canResend }: { delivery: Delivery | undefined; action: string; csrf: string; canResend: boolean }) {
  return (
    <article id="delivery">
      <h2>Email to the recipient</h2>
      <dl>
        <dt>State</dt>
        <dd>
          <DeliveryBadge state={delivery?.state ?? null} />
        </dd>
        {delivery ? (
          <>
            <dt>Queued</dt>
            <dd safe>{formatTime(delivery.queuedAt)}</dd>
            <dt>Sent</dt>
            <dd safe>{formatTime(delivery.sentAt)}</dd>
            <dt>Attempts</dt>
            <dd safe>{`${delivery.attempts}${delivery.resends > 0 ? ` (resent ${delivery.resends} time${delivery.resends === 1 ? '' : 's'})` : ''}`}</dd>
            {delivery.lastError ? (
              <>
                <dt>Last error</dt>
                <dd class="delivery-error" safe>
                  {delivery.lastError}
                </dd>
              </>
            ) : (
              ''
            )}
          </>
        ) : (
          ''
        )}
      </dl>
      {canResend && delivery?.state !== 'queued' ? (
        <form method="post" action={action}>
          <CsrfField token={csrf} />
          <button type="submit" class="secondary">
            Resend the email
          </button>
        </form>
      ) : (
        ''
      )}
    </article>
  )
}

/** A bulk issuance's emails by state, with "Resend failed". */
export function BulkDeliverySummary({ counts, action, csrf }: { counts: Partial<Record<MailStatus, number>>; action: string; csrf: string }) {
  const states = (Object.keys(STATE_LABELS) as MailStatus[]).filter((state) => counts[state])
  if (states.length === 0) return ''
  return (
    <article id="bulk-delivery">
      <h2>Emails to the recipients</h2>
      <p safe>{states.map((state) => `${STATE_LABELS[state]}: ${counts[state]}`).join(' · ')}</p>
      {counts.failed ? (
        <form method="post" action={action}>
          <CsrfField token={csrf} />
          <button type="submit" class="secondary" safe>{`Resend the ${counts.failed} failed`}</button>
        </form>
      ) : (
        ''
      )}
    </article>
  )
}

export async function deliveryPages(app: TypedApp): Promise<void> {
  const { platform } = app
  const urls = publicUrls(platform.config)

  const settingsPage = async (request: FastifyRequest, reply: FastifyReply, settings?: EmailSettings, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'admin')
    const [org, achievementPage] = await Promise.all([getOrg(platform.db, scope), listAchievements(platform.db, scope, { page: 1 })])
    const current = settings ?? (await getEmailSettings(platform.db, scope.orgId))
    let preview: ReturnType<typeof renderEmail> | undefined
    try {
      preview = renderEmail(current, {
        recipientName: 'Ada Lovelace',
        achievementName: achievementPage.items[0]?.name ?? 'Certified Practitioner',
        orgName: org.name,
        credentialUrl: urls.credential('cred_example'),
      })
    } catch (error) {
      if (!(error instanceof InvalidError)) throw error
    }
    // Escaped by construction: renderHtml escapes every value and every bit of template text.
    const safeHtml = preview?.htmlParagraphs ?? ''
    const base = `/orgs/${scope.orgId}/credentials/email`
    const values = { emailSubject: current.emailSubject, emailBody: current.emailBody, ...state.values }
    const error = (field: string) =>
      state.errors?.[field] ? (
        <small id={`field-${field}-error`} class="field-error" safe>
          {state.errors[field]}
        </small>
      ) : (
        ''
      )
    return reply.page(
      'Credential email',
      <>
        <h1>Credential email</h1>
        <p>
          Each recipient gets this email when a credential is issued to them
          {platform.mailer.usesOutbox ? ' (this server has no mail server configured, so it stays in the outbox)' : ''}. Placeholders:{' '}
          {PLACEHOLDERS.map((name) => (
            <code safe>{`{{${name}}}`}</code>
          ))}
          .
        </p>
        <FormErrorSummary state={state} />
        <form method="post" action={base} novalidate>
          <CsrfField token={reply.csrfToken()} />
          <label for="field-emailSubject">Subject</label>
          <input
            id="field-emailSubject"
            name="emailSubject"
            value={values.emailSubject}
            aria-invalid={state.errors?.emailSubject ? 'true' : undefined}
            aria-describedby={state.errors?.emailSubject ? 'field-emailSubject-error' : undefined}
          />
          {error('emailSubject')}
          <label for="field-emailBody">Message</label>
          <textarea
            id="field-emailBody"
            name="emailBody"
            rows="12"
            aria-invalid={state.errors?.emailBody ? 'true' : undefined}
            aria-describedby={state.errors?.emailBody ? 'field-emailBody-error' : undefined}
            safe
          >
            {values.emailBody}
          </textarea>
          {error('emailBody')}
          <label>
            <input type="checkbox" name="isPdfAttached" checked={state.values ? state.values.isPdfAttached === 'on' : current.isPdfAttached} /> Attach the PDF
            certificate
          </label>
          <div role="group">
            <button type="submit" name="action" value="preview" class="secondary">
              Preview
            </button>
            <button type="submit" name="action" value="save">
              Save
            </button>
          </div>
        </form>
        {preview ? (
          <article id="email-preview">
            <header>
              Preview · <strong safe>{preview.subject}</strong>
            </header>
            <div class="grid">
              <section>
                <h3>Text</h3>
                <pre safe>{preview.text}</pre>
              </section>
              <section class="email-html-preview">
                <h3>HTML</h3>
                {safeHtml}
              </section>
            </div>
          </article>
        ) : (
          ''
        )}
      </>,
      { orgId: scope.orgId },
    )
  }

  app.get('/orgs/:orgId/credentials/email', async (request, reply) => settingsPage(request, reply))
  app.post('/orgs/:orgId/credentials/email', async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'admin')
    const form = parseForm(EmailSettingsForm, request.body)
    if (!form.ok) return settingsPage(request, reply.status(422), undefined, form)
    const settings = { emailSubject: form.value.emailSubject, emailBody: form.value.emailBody, isPdfAttached: form.value.isPdfAttached === 'on' }
    try {
      if (form.value.action === 'preview') return settingsPage(request, reply, settings, { values: form.values })
      await saveEmailSettings(platform, scope, settings)
    } catch (error) {
      if (!(error instanceof InvalidError)) throw error
      return settingsPage(request, reply.status(422), settings, { values: form.values, errors: error.fields })
    }
    reply.flash('success', 'The credential email is saved.')
    return reply.redirect(`/orgs/${scope.orgId}/credentials/email`)
  })

  app.post('/orgs/:orgId/credentials/:credentialId/resend', { schema: { params: CredentialParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    const { credentialId } = request.params
    await resendDelivery(platform, scope, credentialId)
    reply.flash('success', 'The email is on its way again.')
    return reply.redirect(`/orgs/${scope.orgId}/credentials/${credentialId}`)
  })

  app.post('/orgs/:orgId/credentials/resend-failed', async (request, reply) => {
    const scope = scopeOf(request)
    const resent = await resendFailedDeliveries(platform, scope)
    reply.flash('success', resent === 0 ? 'No email has failed: nothing to resend.' : `Resending ${resent} failed email${resent === 1 ? '' : 's'}.`)
    return reply.redirect(`/orgs/${scope.orgId}/credentials?delivery=failed`)
  })

  app.post('/orgs/:orgId/credentials/bulk/:bulkIssuanceId/resend-failed', { schema: { params: BulkParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    const bulk = await getBulkIssuance(platform, scope, request.params.bulkIssuanceId)
    const resent = await resendFailedDeliveries(platform, scope, { bulkIssuanceId: bulk.id })
    reply.flash('success', `Resending ${resent} failed email${resent === 1 ? '' : 's'}.`)
    return reply.redirect(`/orgs/${scope.orgId}/credentials/bulk/${bulk.id}`)
  })

  app.get(
    '/me/credentials',
    { preHandler: requireSignedIn, schema: { querystring: Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) }) } },
    async (request, reply) => {
      const emails = await verifiedEmailsOf(platform, signedInAuth(request).accountId)
      const page = await listCredentialsForEmails(platform.db, emails, request.query.page ?? 1, platform.clock.now())
      return reply.page(
        'My credentials',
        <>
          <h1>My credentials</h1>
          <p>
            Credentials issued to any of your confirmed addresses (<span safe>{emails.join(', ')}</span>). Sent to another address of yours?{' '}
            <a href="/account/emails">Add it to your account</a> and they appear here.
          </p>
          {page.items.length === 0 ? (
            <EmptyState>No credentials were issued to your addresses yet.</EmptyState>
          ) : (
            <table id="my-credentials">
              <TableHead columns={['Credential', 'Issued by', 'Issued', 'Status', '']} />
              <tbody>
                {page.items.map((item) => (
                  <tr data-credential={item.id}>
                    <td>
                      <a href={`/credentials/${item.id}`} safe>
                        {item.achievementName ?? item.id}
                      </a>
                      <br />
                      <small safe>{`${item.recipientName} · ${item.recipientEmail ?? ''}`}</small>
                    </td>
                    <td safe>{item.issuerName ?? '—'}</td>
                    <td safe>{item.validFrom.toISOString().slice(0, 10)}</td>
                    <td>
                      <StatusBadge status={item.status} />
                    </td>
                    <td class="actions">
                      <a href={`/credentials/${item.id}.json`} download={`${item.id}.json`}>
                        Download JSON (for a wallet)
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <Pagination page={page.page} pageCount={page.pageCount} href={(number) => `/me/credentials?page=${number}`} />
          <p>
            <small>
              Issuing credentials yourself? <a href="/orgs/new">Create an organisation</a>.
            </small>
          </p>
        </>,
      )
    },
  )
}
