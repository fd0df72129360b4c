import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { describeAuditVerdict, verifyAuditLog } from '../audit/verify.ts'
import { rotateKeysJob } from '../crypto/jobs.ts'
import { NotFoundError } from '../errors.ts'
import type { TypedApp } from '../feature.ts'
import { CsrfField, EmptyState, JobProgress } from '../ui/components.tsx'
import { requirePlatformAdmin, requireSignedIn, signedInAuth } from './auth.ts'

const JobParams = Type.Object({ jobId: Type.String({ maxLength: 64 }) })
const OutboxQuery = Type.Object({ to: Type.Optional(Type.String({ maxLength: 254 })) })
const LINK = /https?:\/\/[^\s<>"']+/g

/** Platform pages: the admin overview, the mail outbox, key rotation, audit verification, job progress. */
export async function platformPages(app: TypedApp): Promise<void> {
  const { platform } = app

  await app.register(async (admin: TypedApp) => {
    admin.addHook('preHandler', requirePlatformAdmin)

    admin.get('/admin', async (_request, reply) => {
      const csrf = reply.csrfToken()
      return reply.page(
        'Platform admin',
        <>
          <h1>Platform admin</h1>
          <div class="grid">
            <article>
              <header>Mail</header>
              <p>{platform.mailer.usesOutbox ? 'No SMTP server is configured: messages stay in the outbox.' : 'Mail is sent through SMTP.'}</p>
              <a href="/admin/outbox">Open the outbox</a>
            </article>
            <article>
              <header>Encryption keys</header>
              <p>
                Active data key: <code safe>{platform.keyring.activeKey}</code>
              </p>
              <form method="post" action="/admin/keys/rotate" data-confirm="Make a new data key and re-encrypt every stored secret?">
                <CsrfField token={csrf} />
                <button type="submit">Rotate keys</button>
              </form>
            </article>
            <article>
              <header>Privacy requests</header>
              <p>Requests to every organisation and to the platform itself, by deadline.</p>
              <a href="/admin/privacy/requests">Open the queue</a>
            </article>
            <article>
              <header>Privacy center</header>
              <p>What every rule of retention removes, breaches of every organisation, and the record of processing.</p>
              <a href="/admin/retention">Retention</a> · <a href="/admin/breaches">Breaches</a> · <a href="/privacy/records">Record of processing</a>
            </article>
            <article>
              <header>Audit log</header>
              <p>Check that no entry was edited, inserted or deleted, and that the log still reaches its checkpoint.</p>
              <form method="post" action="/admin/audit/verify">
                <CsrfField token={csrf} />
                <button type="submit">Verify the chain</button>
              </form>
            </article>
          </div>
        </>,
      )
    })

    admin.post('/admin/audit/verify', async (_request, reply) => {
      const verdict = await verifyAuditLog(platform)
      reply.flash(verdict.ok ? 'success' : 'error', describeAuditVerdict(verdict))
      return reply.redirect('/admin')
    })

    admin.post('/admin/keys/rotate', async (request, reply) => {
      const jobId = await platform.jobs.enqueue(platform.db, rotateKeysJob, {}, { accountId: signedInAuth(request).accountId })
      return reply.redirect(`/jobs/${jobId}`)
    })

    admin.get('/admin/outbox', { schema: { querystring: OutboxQuery } }, async (request, reply) => {
      const { to } = request.query
      const messages = await platform.mailer.listOutbox(platform.db, { to, limit: 100 })
      return reply.page(
        'Outbox',
        <>
          <h1>Outbox</h1>
          <form method="get" action="/admin/outbox" class="filters">
            <input type="search" name="to" placeholder="Recipient email" value={to ?? ''} aria-label="Recipient" />
            <button type="submit">Filter</button>
          </form>
          {messages.length === 0 ? (
            <EmptyState>No messages.</EmptyState>
          ) : (
            messages.map((message) => (
              <article class="mail-message" data-to={message.toAddress}>
                <header>
                  <strong safe>{message.subject}</strong> · to <span safe>{message.toAddress}</span> ·{' '}
                  <span safe>{message.createdAt.toISOString().slice(0, 16).replace('T', ' ')}</span> ·{' '}
                  <span class="badge" safe>
                    {message.status}
                  </span>
                </header>
                <pre safe>{message.text}</pre>
                {message.attachments.length > 0 ? (
                  <p safe>{`Attachments, made when sent: ${message.attachments.map((attachment) => attachment.source).join(', ')}`}</p>
                ) : (
                  ''
                )}
                {(message.text.match(LINK) ?? []).map((url) => (
                  <p>
                    <a href={url} class="mail-link" safe>
                      {url}
                    </a>
                  </p>
                ))}
              </article>
            ))
          )}
        </>,
      )
    })
  })

  const loadJob = async (request: FastifyRequest, jobId: string) => {
    const auth = signedInAuth(request)
    const job = await platform.jobs.getProgress(jobId)
    if (!job || (job.accountId !== auth.accountId && !auth.isPlatformAdmin)) throw new NotFoundError('job', jobId)
    return job
  }
  app.get('/jobs/:jobId', { preHandler: requireSignedIn, schema: { params: JobParams } }, async (request, reply) => {
    const job = await loadJob(request, request.params.jobId)
    return reply.page(
      job.title,
      <>
        <h1 safe>{job.title}</h1>
        <JobProgress jobId={job.jobId} title={job.title} state={job.state} done={job.done} total={job.total} message={job.message} />
      </>,
    )
  })
  app.get('/jobs/:jobId/progress', { preHandler: requireSignedIn, config: { skipAudit: true }, schema: { params: JobParams } }, async (request, reply) => {
    const job = await loadJob(request, request.params.jobId)
    const html = await (<JobProgress jobId={job.jobId} title={job.title} state={job.state} done={job.done} total={job.total} message={job.message} />)
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html)
  })
}
