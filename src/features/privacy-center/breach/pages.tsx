import type { FastifyReply } from 'fastify'
import type { Static } from 'typebox'
import { InvalidError } from '../../../platform/errors.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import { requirePlatformAdmin } from '../../../platform/http/auth.ts'
import { parseForm } from '../../../platform/http/forms.ts'
import type { Platform } from '../../../platform/platform.ts'
import { utcToZoned, zonedToUtc } from '../../../platform/time-zones.ts'
import { CsrfField, EmptyState, Field, FormErrorSummary, type FormState, JobProgress, TableHead } from '../../../platform/ui/components.tsx'
import { getOrg, hasRole, type OrgScope, scopeOf } from '../../orgs/service.ts'
import { type DataCategory, dataCategories } from '../categories.ts'
import { AffectedQueryForm, IncidentForm, IncidentPageQuery, IncidentParams, OrgParams } from './contract.ts'
import { dateInZone, letterContext, letterSections, renderLetter } from './letter.ts'
import {
  type AffectedQuery,
  closeIncident,
  deadlineInWords,
  getIncident,
  type Incident,
  type IncidentInput,
  type IncidentSummary,
  listAffectedPeople,
  listAllIncidents,
  listIncidents,
  markRegulatorNotified,
  previewAffectedPeople,
  recordIncident,
  regulatorDeadline,
  saveAffectedPeople,
  sendBreachLetters,
  updateIncident,
} from './service.ts'

const listOf = (value: string | string[] | undefined) => (Array.isArray(value) ? value : value ? [value] : [])

const TEXT_ELEMENTS: { name: keyof IncidentInput; label: string; hint: string }[] = [
  { name: 'whatHappened', label: '1. What happened', hint: 'In plain words, for the people affected.' },
  { name: 'measuresTaken', label: '3. What we are doing', hint: 'What the organisation is doing about the breach.' },
  { name: 'whatPeopleCanDo', label: '4. What you can do', hint: 'What the people affected can do now.' },
  { name: 'contactInfo', label: '5. For more information', hint: 'Whom to contact, and how.' },
  { name: 'protectionMeasures', label: '6. What we did to protect you', hint: 'Measures already taken to protect the people affected.' },
  { name: 'advice', label: '7. Advice on protecting yourself', hint: 'For example: change your password, watch for phishing.' },
  { name: 'cureSteps', label: '8. Steps to put this right', hint: 'What will be done to cure the breach.' },
]

function TextArea({ name, label, hint, state, value }: { name: string; label: string; hint: string; state: FormState; value: string }) {
  const error = state.errors?.[name]
  return (
    <div class="field">
      <label for={`field-${name}`} safe>
        {label}
      </label>
      <textarea id={`field-${name}`} name={name} rows="3" aria-invalid={error ? 'true' : undefined} safe>
        {state.values?.[name] ?? value}
      </textarea>
      <small class={error ? 'field-error' : undefined} safe>
        {error ?? hint}
      </small>
    </div>
  )
}

function CategoryChoices({
  categories,
  chosen,
  state,
  onlyFindable,
}: {
  categories: DataCategory[]
  chosen: string[]
  state: FormState
  onlyFindable?: boolean
}) {
  const error = state.errors?.dataCategories
  return (
    <fieldset>
      <legend>{onlyFindable ? 'Whose data: the kinds of data the breach touched' : '2. What information was involved'}</legend>
      {categories
        .filter((category) => !onlyFindable || category.canFindPeople)
        .map((category) => (
          <label>
            <input type="checkbox" name="dataCategories" value={category.key} checked={chosen.includes(category.key)} /> <span safe>{category.label}</span>
          </label>
        ))}
      {error ? (
        <small class="field-error" safe>
          {error}
        </small>
      ) : (
        ''
      )}
    </fieldset>
  )
}

function DeadlineBadge({ incident, now }: { incident: Pick<Incident, 'discoveredAt' | 'regulatorNotifiedAt'>; now: Date }) {
  const deadline = regulatorDeadline(incident, now)
  return (
    <span class={deadline.isOverdue ? 'badge badge-danger' : 'badge'} data-overdue={deadline.isOverdue ? 'true' : undefined} safe>
      {deadlineInWords(deadline)}
    </span>
  )
}

function IncidentTable({ incidents, now, hrefOf }: { incidents: IncidentSummary[]; now: Date; hrefOf(incident: IncidentSummary): string }) {
  return (
    <table>
      <TableHead columns={['Incident', 'Discovered', 'Status', 'People', 'Regulator (72 h)']} />
      <tbody>
        {incidents.map((incident) => (
          <tr>
            <td>
              <a href={hrefOf(incident)} safe>
                {incident.title}
              </a>
            </td>
            <td safe>{incident.discoveredAt.toISOString().replace('T', ' ').slice(0, 16)} UTC</td>
            <td>{incident.status}</td>
            <td safe>{String(incident.affectedPeople)}</td>
            <td>
              <DeadlineBadge incident={incident} now={now} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The breach register's pages: the list with its deadlines, the incident form, affected people, letters and exports. */
export async function breachPages(app: TypedApp): Promise<void> {
  const { platform } = app
  const base = (scope: OrgScope) => `/orgs/${scope.orgId}/privacy/breaches`

  const formPage = async (reply: FastifyReply, scope: OrgScope, state: FormState, incident?: Incident) => {
    const org = await getOrg(platform.db, scope)
    const localTime = (date: Date | undefined) => (date ? utcToZoned(date, org.timeZone) : '')
    const action = incident ? `${base(scope)}/${incident.id}/edit` : base(scope)
    return reply.page(
      incident ? 'Edit incident' : 'Record a breach',
      <article>
        <h1>{incident ? 'Edit incident' : 'Record a breach'}</h1>
        <p>Every element below goes into the letter each affected person receives; all are required.</p>
        <FormErrorSummary state={state} />
        <form method="post" action={action} novalidate>
          <CsrfField token={reply.csrfToken()} />
          <Field name="title" label="Title (for the register)" state={state} value={incident?.title} required />
          <Field
            name="occurredAt"
            label={`When it happened (${org.timeZone})`}
            type="datetime-local"
            state={state}
            value={localTime(incident?.occurredAt)}
            required
          />
          <Field
            name="discoveredAt"
            label={`When it was discovered (${org.timeZone})`}
            type="datetime-local"
            state={state}
            value={localTime(incident?.discoveredAt)}
            required
            hint="The regulator must be told within 72 hours of this."
          />
          {TEXT_ELEMENTS.map((element) => (
            <>
              <TextArea {...element} state={state} value={String(incident?.[element.name] ?? '')} />
              {element.name === 'whatHappened' ? (
                <CategoryChoices
                  categories={dataCategories(platform.privacyProviders)}
                  chosen={state.values ? (state.values.dataCategories ?? '').split('\n').filter(Boolean) : (incident?.dataCategories ?? [])}
                  state={state}
                />
              ) : (
                ''
              )}
            </>
          ))}
          <Field name="cureTimeframe" label="8. By when those steps will be done" state={state} value={incident?.cureTimeframe} required />
          <button type="submit">{incident ? 'Save incident' : 'Record incident'}</button>
        </form>
      </article>,
    )
  }

  const readIncidentForm = async (scope: OrgScope, body: unknown): Promise<{ input?: IncidentInput; state: FormState }> => {
    const form = parseForm(IncidentForm, body)
    const raw = (body ?? {}) as Record<string, string | string[]>
    const values = { ...form.values, dataCategories: listOf(raw.dataCategories).join('\n') }
    if (!form.ok) return { state: { errors: form.errors, values } }
    const { timeZone } = await getOrg(platform.db, scope)
    const value: Static<typeof IncidentForm> = form.value
    const at = (text: string | undefined) => (text ? zonedToUtc(text, timeZone) : undefined)
    return {
      state: { values },
      input: {
        title: value.title ?? '',
        occurredAt: at(value.occurredAt),
        discoveredAt: at(value.discoveredAt),
        whatHappened: value.whatHappened ?? '',
        dataCategories: listOf(value.dataCategories),
        measuresTaken: value.measuresTaken ?? '',
        whatPeopleCanDo: value.whatPeopleCanDo ?? '',
        contactInfo: value.contactInfo ?? '',
        protectionMeasures: value.protectionMeasures ?? '',
        advice: value.advice ?? '',
        cureSteps: value.cureSteps ?? '',
        cureTimeframe: value.cureTimeframe ?? '',
      },
    }
  }

  /** Saves through `save`; a refused incident comes back as the form with what to fix next to each field. */
  const submitIncident = async (
    reply: FastifyReply,
    scope: OrgScope,
    body: unknown,
    save: (input: IncidentInput) => Promise<Incident>,
    incident?: Incident,
  ) => {
    const { input, state } = await readIncidentForm(scope, body)
    if (!input) return formPage(reply.status(422), scope, state, incident)
    try {
      const saved = await save(input)
      reply.flash('success', 'The incident is recorded. Now find the people it affected.')
      return reply.redirect(`${base(scope)}/${saved.id}`)
    } catch (error) {
      if (!(error instanceof InvalidError)) throw error
      return formPage(reply.status(422), scope, { errors: error.fields, values: state.values }, incident)
    }
  }

  app.get('/orgs/:orgId/privacy/breaches', { schema: { params: OrgParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    const incidents = await listIncidents(platform.db, scope)
    const now = platform.clock.now()
    const overdue = incidents.filter((incident) => regulatorDeadline(incident, now).isOverdue).length
    return reply.page(
      'Breach register',
      <>
        <h1>Breach register</h1>
        {overdue > 0 ? (
          <p class="flash flash-error" role="alert" safe>
            {`${overdue} incident${overdue === 1 ? ' is' : 's are'} past the regulator's 72-hour deadline.`}
          </p>
        ) : (
          ''
        )}
        {incidents.length === 0 ? (
          <EmptyState action={hasRole(scope.role, 'admin') ? { href: `${base(scope)}/new`, label: 'Record a breach' } : undefined}>
            No breach is recorded. Record one as soon as it is discovered: the regulator must hear of it within 72 hours.
          </EmptyState>
        ) : (
          <IncidentTable incidents={incidents} now={now} hrefOf={(incident) => `${base(scope)}/${incident.id}`} />
        )}
        {incidents.length > 0 && hasRole(scope.role, 'admin') ? (
          <p>
            <a href={`${base(scope)}/new`} role="button">
              Record a breach
            </a>
          </p>
        ) : (
          ''
        )}
      </>,
    )
  })

  app.get('/orgs/:orgId/privacy/breaches/new', { schema: { params: OrgParams } }, async (request, reply) => formPage(reply, scopeOf(request), {}))
  app.post('/orgs/:orgId/privacy/breaches', { schema: { params: OrgParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    return submitIncident(reply, scope, request.body, (input) => recordIncident(platform, scope, input))
  })

  app.get('/orgs/:orgId/privacy/breaches/:incidentId/edit', { schema: { params: IncidentParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    return formPage(reply, scope, {}, await getIncident(platform.db, scope, request.params.incidentId))
  })
  app.post('/orgs/:orgId/privacy/breaches/:incidentId/edit', { schema: { params: IncidentParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    const incident = await getIncident(platform.db, scope, request.params.incidentId)
    return submitIncident(reply, scope, request.body, (input) => updateIncident(platform, scope, incident.id, input), incident)
  })

  const incidentPage = async (
    reply: FastifyReply,
    scope: OrgScope,
    incidentId: string,
    queryState: FormState = {},
    preview?: { query: AffectedQuery; people: { email: string; name: string }[] },
    lettersJobId?: string,
  ) => {
    const incident = await getIncident(platform.db, scope, incidentId)
    const context = await letterContext(platform, scope, incident)
    const people = await listAffectedPeople(platform.db, scope, incidentId)
    const now = platform.clock.now()
    const href = `${base(scope)}/${incident.id}`
    const csrf = reply.csrfToken()
    const isAdmin = hasRole(scope.role, 'admin')
    const unsent = people.filter((person) => person.letterStatus === null).length
    const lettersJob = lettersJobId ? await platform.jobs.getProgress(lettersJobId) : undefined
    return reply.page(
      incident.title,
      <>
        <p>
          <a href={base(scope)}>Breach register</a>
        </p>
        <h1 safe>{incident.title}</h1>
        <p>
          Status: <strong>{incident.status}</strong> · Discovered <span safe>{dateInZone(incident.discoveredAt, context.timeZone)}</span> · Regulator deadline{' '}
          <span safe>{dateInZone(regulatorDeadline(incident, now).dueAt, context.timeZone)}</span> <DeadlineBadge incident={incident} now={now} />
        </p>
        {isAdmin ? (
          <div class="grid">
            <a href={`${href}/edit`} role="button" class="secondary">
              Edit
            </a>
            {incident.regulatorNotifiedAt ? (
              ''
            ) : (
              <form method="post" action={`${href}/regulator-notified`}>
                <CsrfField token={csrf} />
                <button type="submit" class="secondary">
                  The regulator has been told
                </button>
              </form>
            )}
            {incident.status === 'closed' ? (
              ''
            ) : (
              <form method="post" action={`${href}/close`} onsubmit="return confirm('Close this incident? No more letters can be sent for it.')">
                <CsrfField token={csrf} />
                <button type="submit" class="secondary">
                  Close incident
                </button>
              </form>
            )}
          </div>
        ) : (
          ''
        )}
        <h2>The letter</h2>
        <p>
          Each affected person receives these eight elements. <a href={`${href}/letter`}>Preview a letter</a>
        </p>
        {letterSections(incident, context).map((section) => (
          <section>
            <h3 safe>{section.heading}</h3>
            {section.paragraphs.map((paragraph) => (
              <p safe>{paragraph}</p>
            ))}
          </section>
        ))}
        <h2 safe>{`Affected people (${people.length})`}</h2>
        {lettersJob && lettersJob.orgId === scope.orgId ? (
          <JobProgress
            jobId={lettersJob.jobId}
            title={lettersJob.title}
            state={lettersJob.state}
            done={lettersJob.done}
            total={lettersJob.total}
            message={lettersJob.message}
          />
        ) : (
          ''
        )}
        <p>
          <a href={`${href}/regulator.csv`}>Regulator list (CSV)</a> · <a href={`${href}/report.pdf`}>Incident report (PDF)</a>
        </p>
        {people.length === 0 ? (
          <EmptyState>No affected person is recorded yet: find them below.</EmptyState>
        ) : (
          <table>
            <TableHead columns={['Email', 'Name', 'Letter']} />
            <tbody>
              {people.map((person) => (
                <tr>
                  <td safe>{person.email}</td>
                  <td safe>{person.name}</td>
                  <td>{person.letterStatus ?? 'not sent'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {isAdmin && unsent > 0 && incident.status !== 'closed' ? (
          <form method="post" action={`${href}/letters`} onsubmit={`return confirm('Email the letter to ${unsent} people?')`}>
            <CsrfField token={csrf} />
            <button type="submit" safe>{`Send the letter to ${unsent} ${unsent === 1 ? 'person' : 'people'}`}</button>
          </form>
        ) : (
          ''
        )}
        <h2>Find affected people</h2>
        <p>The privacy registry lists everyone whose data of the chosen kinds this organisation holds; each person appears once.</p>
        <FormErrorSummary state={queryState} />
        <form method="post" action={`${href}/affected/preview`} novalidate>
          <CsrfField token={csrf} />
          <CategoryChoices
            categories={dataCategories(platform.privacyProviders)}
            chosen={preview?.query.dataCategories ?? incident.dataCategories}
            state={queryState}
            onlyFindable
          />
          <div class="grid">
            <Field name="from" label="Data added from (optional, UTC)" type="datetime-local" state={queryState} />
            <Field name="to" label="Data added before (optional, UTC)" type="datetime-local" state={queryState} />
          </div>
          <button type="submit" class="secondary">
            Preview the people
          </button>
        </form>
        {preview ? (
          <section>
            <h3 safe>{`The query finds ${preview.people.length} ${preview.people.length === 1 ? 'person' : 'people'}`}</h3>
            <ul>
              {preview.people.map((person) => (
                <li safe>{`${person.email}${person.name ? ` — ${person.name}` : ''}`}</li>
              ))}
            </ul>
            {isAdmin && preview.people.length > 0 ? (
              <form method="post" action={`${href}/affected`}>
                <CsrfField token={csrf} />
                {preview.query.dataCategories.map((key) => (
                  <input type="hidden" name="dataCategories" value={key} />
                ))}
                <input type="hidden" name="from" value={preview.query.from?.toISOString().slice(0, 16) ?? ''} />
                <input type="hidden" name="to" value={preview.query.to?.toISOString().slice(0, 16) ?? ''} />
                <button type="submit">Add these people to the incident</button>
              </form>
            ) : (
              ''
            )}
          </section>
        ) : (
          ''
        )}
      </>,
    )
  }

  app.get('/orgs/:orgId/privacy/breaches/:incidentId', { schema: { params: IncidentParams, querystring: IncidentPageQuery } }, async (request, reply) =>
    incidentPage(reply, scopeOf(request), request.params.incidentId, {}, undefined, request.query.job),
  )

  const readQuery = (body: unknown): { query?: AffectedQuery; state: FormState } => {
    const form = parseForm(AffectedQueryForm, body)
    if (!form.ok) return { state: { errors: form.errors, values: form.values } }
    const at = (text: string | undefined) => (text ? zonedToUtc(text, 'UTC') : undefined)
    return { state: { values: form.values }, query: { dataCategories: listOf(form.value.dataCategories), from: at(form.value.from), to: at(form.value.to) } }
  }
  const withQuery = async (reply: FastifyReply, scope: OrgScope, incidentId: string, body: unknown, act: (query: AffectedQuery) => Promise<FastifyReply>) => {
    const { query, state } = readQuery(body)
    try {
      if (query) return await act(query)
      return incidentPage(reply.status(422), scope, incidentId, state)
    } catch (error) {
      if (!(error instanceof InvalidError)) throw error
      return incidentPage(reply.status(422), scope, incidentId, { errors: error.fields, values: state.values })
    }
  }

  app.post('/orgs/:orgId/privacy/breaches/:incidentId/affected/preview', { schema: { params: IncidentParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    const { incidentId } = request.params
    return withQuery(reply, scope, incidentId, request.body, async (query) => {
      const people = await previewAffectedPeople(platform, scope, incidentId, query)
      return incidentPage(reply, scope, incidentId, {}, { query, people })
    })
  })
  app.post('/orgs/:orgId/privacy/breaches/:incidentId/affected', { schema: { params: IncidentParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    const { incidentId } = request.params
    return withQuery(reply, scope, incidentId, request.body, async (query) => {
      const added = await saveAffectedPeople(platform, scope, incidentId, query)
      reply.flash('success', `${added} ${added === 1 ? 'person was' : 'people were'} added to the incident.`)
      return reply.redirect(`${base(scope)}/${incidentId}`)
    })
  })

  app.get('/orgs/:orgId/privacy/breaches/:incidentId/letter', { schema: { params: IncidentParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    const incident = await getIncident(platform.db, scope, request.params.incidentId)
    const [first] = await listAffectedPeople(platform.db, scope, incident.id)
    const letter = renderLetter(incident, await letterContext(platform, scope, incident), { name: first?.name ?? 'Alex Example' })
    return reply.page(
      'Letter preview',
      <article>
        <p>
          <a href={`${base(scope)}/${incident.id}`}>Back to the incident</a>
        </p>
        <h1>Letter preview</h1>
        <p>
          Subject: <strong safe>{letter.subject}</strong>
        </p>
        <pre class="letter" safe>
          {letter.text}
        </pre>
      </article>,
    )
  })

  const action = (path: string, run: (platform: Platform, scope: OrgScope, incidentId: string) => Promise<unknown>, done: string) =>
    app.post(`/orgs/:orgId/privacy/breaches/:incidentId/${path}`, { schema: { params: IncidentParams } }, async (request, reply) => {
      const scope = scopeOf(request)
      await run(platform, scope, request.params.incidentId)
      reply.flash('success', done)
      return reply.redirect(`${base(scope)}/${request.params.incidentId}`)
    })
  app.post('/orgs/:orgId/privacy/breaches/:incidentId/letters', { schema: { params: IncidentParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    const jobId = await sendBreachLetters(platform, scope, request.params.incidentId)
    reply.flash('success', 'The letters are being sent; each one’s delivery shows in the list.')
    return reply.redirect(`${base(scope)}/${request.params.incidentId}?job=${jobId}`)
  })
  action('regulator-notified', markRegulatorNotified, 'Recorded: the regulator has been told.')
  action('close', closeIncident, 'The incident is closed.')

  await app.register(async (admin: TypedApp) => {
    admin.addHook('preHandler', requirePlatformAdmin)
    admin.get('/admin/breaches', async (_request, reply) => {
      const incidents = await listAllIncidents(platform.db)
      return reply.page(
        'Breaches in every organisation',
        <>
          <h1>Breaches in every organisation</h1>
          {incidents.length === 0 ? (
            <EmptyState>No organisation has recorded a breach.</EmptyState>
          ) : (
            <IncidentTable incidents={incidents} now={platform.clock.now()} hrefOf={(incident) => `/orgs/${incident.orgId}/privacy/breaches/${incident.id}`} />
          )}
        </>,
      )
    })
  })
}
