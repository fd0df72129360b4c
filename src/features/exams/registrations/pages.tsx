import type { FastifyReply, FastifyRequest } from 'fastify'
import { expectedColumns, sampleRows, sendCsv } from '../../../platform/csv.ts'
import { resolveSort, type SortQuery } from '../../../platform/db/sort.ts'
import { ConflictError, InvalidError } from '../../../platform/errors.ts'
import type { TypedApp, TypedRequest } from '../../../platform/feature.ts'
import { parseForm, uploadedFile } from '../../../platform/http/forms.ts'
import type { Platform } from '../../../platform/platform.ts'
import { restrictedAmong } from '../../../platform/privacy/restrictions.ts'
import { utcToZoned, zonedToUtc } from '../../../platform/time-zones.ts'
import {
  CsrfField,
  EmptyState,
  Field,
  type FormState,
  listHref,
  PurposeNotice,
  type SortableColumn,
  SortableTableHead,
  type SortState,
} from '../../../platform/ui/components.tsx'
import { CsvPreview, CsvUploadForm, previewCsvUpload } from '../../../platform/ui/csv-import.tsx'
import { type OrgScope, requireRole, scopeOf } from '../../orgs/service.ts'
import { getExam } from '../catalog/catalog.ts'
import { CandidateFields, ExamSessionParams, RegistrationImportParams, RegistrationParams, SelfRegistrationFields } from '../contract.ts'
import { completeExamSessions, type ExamSessionView, getExamSession, getExamSessionView } from '../sessions/sessions.ts'
import {
  checkInCandidate,
  confirmRegistrationImport,
  importResults,
  listRegistrations,
  MAX_REGISTRATION_ROWS,
  opensAt,
  previewRegistrationImport,
  REGISTRATION_SORT,
  REGISTRATIONS_CSV,
  RESULTS_CSV,
  recordResults,
  registerCandidate,
  removeRegistration,
} from './registrations.ts'
import { setSelfRegistration } from './self-registration.ts'
import { openSessionsPath } from './self-registration-pages.tsx'

const CANDIDATE_COLUMNS: SortableColumn[] = [
  { label: 'Candidate', sortKey: 'name' },
  { label: 'Email', sortKey: 'email' },
  { label: 'Place', sortKey: 'place' },
  { label: 'Present', sortKey: 'present' },
  { label: 'Score', sortKey: 'score', firstDirection: 'desc' },
  { label: 'Result', sortKey: 'result' },
  { label: 'Actions' },
]

const sessionPath = (scope: OrgScope, sessionId: string) => `/orgs/${scope.orgId}/exam-sessions/${sessionId}`

/** The candidates part of an exam session's page: register, check in, remove, enter or import results, mark completed. */
export async function CandidatesSection({
  platform,
  scope,
  session,
  csrf,
  order = {},
}: {
  platform: Platform
  scope: OrgScope
  session: ExamSessionView
  csrf: string
  /** How the person ordered the candidates table (`?sort=&dir=` of the session's page). */
  order?: SortQuery
}) {
  const registrations = await listRegistrations(platform.db, scope, session.id, order)
  const path = sessionPath(scope, session.id)
  const sortHref = (sort: SortState) => `${listHref(path, { sort: sort.key, dir: sort.direction })}#candidates`
  const isOpen = session.status === 'scheduled' || session.status === 'confirmed'
  const exam = await getExam(platform.db, scope, session.examId)
  const now = platform.clock.now()
  const checkInOpensAt = opensAt('checkIn', session, exam)
  const resultsOpenAt = opensAt('results', session, exam)
  const localTime = (at: Date) => `${utcToZoned(at, session.timeZone).replace('T', ' ')} (${session.timeZone})`
  const canCheckIn = session.status !== 'cancelled' && now >= checkInOpensAt
  const takesResults = (session.status === 'confirmed' || session.status === 'completed') && now >= resultsOpenAt
  const seated = registrations.filter((row) => row.status === 'seated')
  const stored = await getExamSession(platform.db, scope, session.id)
  const restricted = await restrictedAmong(
    platform.db,
    registrations.map((row) => row.email),
  )
  return (
    <section id="candidates">
      <h2>Candidates</h2>
      <p safe>{`${seated.length} of ${session.seats} seats taken, ${registrations.length - seated.length} on the waitlist.`}</p>
      <p>
        <a href={`${path}/attendance.pdf`}>Attendance sheet (PDF)</a>
      </p>
      <SelfRegistrationSettings session={session} stored={stored} path={path} csrf={csrf} isOpen={isOpen} />
      {session.status !== 'cancelled' && now < resultsOpenAt ? (
        <p id="openings" safe>
          {`Check-in opens at ${localTime(checkInOpensAt)}; results can be recorded from ${localTime(resultsOpenAt)}.`}
        </p>
      ) : (
        ''
      )}
      {registrations.length === 0 ? (
        <EmptyState action={isOpen ? { href: '#register-candidate', label: 'Register a candidate' } : undefined}>
          No candidates yet: register one below, or upload a CSV file of candidates.
        </EmptyState>
      ) : (
        <form method="post" action={`${path}/results`} id="results-form">
          <CsrfField token={csrf} />
          <table id="registrations">
            <SortableTableHead columns={CANDIDATE_COLUMNS} sort={resolveSort(REGISTRATION_SORT, order)} href={sortHref} />
            <tbody>
              {registrations.map((row) => (
                <tr>
                  <td safe>{row.name}</td>
                  <td>
                    <span safe>{row.email}</span>
                    {restricted.has(row.email.toLowerCase()) ? (
                      <small class="badge" data-restricted="true">
                        {' '}
                        Emails held: processing restricted
                      </small>
                    ) : (
                      ''
                    )}
                  </td>
                  <td>{row.status === 'seated' ? 'Seated' : 'Waitlisted'}</td>
                  <td>{row.checkedInAt ? 'Present' : '—'}</td>
                  <td>
                    {takesResults && row.status === 'seated' ? (
                      <input
                        type="number"
                        name={`score_${row.id}`}
                        min="0"
                        value={row.score === null ? '' : String(row.score)}
                        aria-label={`Score of ${row.email}`}
                      />
                    ) : (
                      <span safe>{row.score === null ? '—' : String(row.score)}</span>
                    )}
                  </td>
                  <td>
                    {row.passed === null ? '—' : row.passed ? 'Pass' : 'Fail'}
                    {row.credentialId ? (
                      <>
                        {' · '}
                        <a href={`/orgs/${scope.orgId}/credentials/${row.credentialId}`}>credential</a>
                      </>
                    ) : (
                      ''
                    )}
                  </td>
                  <td>
                    {row.status === 'seated' && !row.checkedInAt && canCheckIn ? (
                      <button type="submit" class="outline" formaction={`${path}/registrations/${row.id}/check-in`}>
                        Check in
                      </button>
                    ) : (
                      ''
                    )}{' '}
                    {isOpen && !row.resultRecordedAt ? (
                      <button type="submit" class="secondary outline" formaction={`${path}/registrations/${row.id}/remove`}>
                        Remove
                      </button>
                    ) : (
                      ''
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {takesResults && seated.length > 0 ? <button type="submit">Save scores</button> : ''}
        </form>
      )}
      {isOpen ? (
        <details>
          <summary>Register a candidate</summary>
          <form method="post" action={`${path}/registrations`} novalidate id="register-candidate">
            <CsrfField token={csrf} />
            <div class="grid">
              <Field name="name" label="Name" required />
              <Field name="email" label="Email" type="email" required />
            </div>
            <PurposeNotice purpose={CANDIDATE_PURPOSE} />
            <button type="submit">Register</button>
          </form>
          <p>
            <a href={`/orgs/${scope.orgId}/exam-registrations/import`}>Register many from a CSV file</a>
          </p>
        </details>
      ) : (
        ''
      )}
      {takesResults && seated.length > 0 ? (
        <details>
          <summary>Import results from a CSV file</summary>
          <p>
            Columns <code safe>{expectedColumns(RESULTS_CSV)}</code>. A score at or above the exam's pass mark issues its credential, once: importing the same
            file again issues nothing new. <a href={`/orgs/${scope.orgId}/exam-registrations/results-sample.csv`}>Download a sample file</a>.
          </p>
          <form method="post" action={`${path}/results/import`} enctype="multipart/form-data">
            <CsrfField token={csrf} />
            <input type="file" name="file" accept=".csv,text/csv" required aria-label="Results CSV file" />
            <button type="submit">Import results</button>
          </form>
        </details>
      ) : (
        ''
      )}
      {session.status === 'confirmed' ? (
        <form method="post" action={`${path}/complete`}>
          <CsrfField token={csrf} />
          <button type="submit" class="secondary">
            Mark completed
          </button>
        </form>
      ) : (
        ''
      )}
    </section>
  )
}

/** Whether candidates may register themselves for the exam session, until when, and the page they do it on. */
function SelfRegistrationSettings({
  session,
  stored,
  path,
  csrf,
  isOpen,
}: {
  session: ExamSessionView
  stored: { orgId: string; selfRegistrationOpen: boolean; selfRegistrationClosesAt: Date | null }
  path: string
  csrf: string
  isOpen: boolean
}) {
  const closes = stored.selfRegistrationClosesAt ? utcToZoned(stored.selfRegistrationClosesAt, session.timeZone) : ''
  return (
    <details id="self-registration">
      <summary
        safe
      >{`Self-registration: ${stored.selfRegistrationOpen ? `open${closes ? ` until ${closes.replace('T', ' ')}` : ' until the start'}` : 'closed'}`}</summary>
      <p>
        When open, anyone signed in can register themselves on <a href={openSessionsPath(stored.orgId)}>your page of open exam sessions</a> (share its link),
        with their account's name and confirmed email: seated while seats are free, then on the waitlist. They can withdraw until the start.
      </p>
      {isOpen ? (
        <form method="post" action={`${path}/self-registration`}>
          <CsrfField token={csrf} />
          <label>
            <input type="checkbox" name="open" checked={stored.selfRegistrationOpen} /> Candidates may register themselves
          </label>
          <Field
            name="closesAt"
            label={`Registration closes (optional, ${session.timeZone})`}
            type="datetime-local"
            value={closes}
            hint="Empty: open until the exam session starts."
          />
          <button type="submit" class="secondary">
            Save
          </button>
        </form>
      ) : (
        ''
      )}
    </details>
  )
}

type SessionRequest = TypedRequest<{ params: typeof ExamSessionParams }>

/** Runs an action from the exam session page (which must be the org's) and returns there, with what happened or what stopped it. */
async function backToSession(platform: Platform, request: SessionRequest, reply: FastifyReply, work: () => Promise<string>) {
  const scope = scopeOf(request)
  const { examSessionId } = request.params
  await getExamSession(platform.db, scope, examSessionId)
  try {
    reply.flash('success', await work())
  } catch (error) {
    if (!(error instanceof InvalidError || error instanceof ConflictError)) throw error
    reply.flash('error', error.message)
  }
  return reply.redirect(`${sessionPath(scope, examSessionId)}#candidates`)
}

export async function registrationRoutes(app: TypedApp): Promise<void> {
  const { platform } = app
  const params = { schema: { params: ExamSessionParams } }
  const registrationParams = { schema: { params: RegistrationParams } }

  app.post('/orgs/:orgId/exam-sessions/:examSessionId/registrations', params, (request, reply) =>
    backToSession(platform, request, reply, async () => {
      const form = parseForm(CandidateFields, request.body)
      if (!form.ok) throw new InvalidError('candidate_invalid', Object.values(form.errors).join(' '))
      const row = await registerCandidate(platform, scopeOf(request), request.params.examSessionId, form.value)
      return row.status === 'seated' ? `${row.email} is registered.` : `The exam session is full: ${row.email} is on the waitlist.`
    }),
  )
  app.post('/orgs/:orgId/exam-sessions/:examSessionId/registrations/:registrationId/check-in', registrationParams, (request, reply) =>
    backToSession(platform, request, reply, async () => {
      const row = await checkInCandidate(platform, scopeOf(request), request.params.examSessionId, request.params.registrationId)
      return `${row.email} is checked in.`
    }),
  )
  app.post('/orgs/:orgId/exam-sessions/:examSessionId/registrations/:registrationId/remove', registrationParams, (request, reply) =>
    backToSession(platform, request, reply, async () => {
      const { promoted } = await removeRegistration(platform, scopeOf(request), request.params.examSessionId, request.params.registrationId)
      return promoted ? `Removed; ${promoted.email} moves from the waitlist to the freed seat.` : 'Removed.'
    }),
  )
  app.post('/orgs/:orgId/exam-sessions/:examSessionId/results', params, (request, reply) =>
    backToSession(platform, request, reply, async () => {
      const scope = scopeOf(request)
      const { examSessionId } = request.params
      const body = (request.body ?? {}) as Record<string, unknown>
      const registrations = await listRegistrations(platform.db, scope, examSessionId)
      const entries = registrations.flatMap((row) => {
        const value = body[`score_${row.id}`]
        if (typeof value !== 'string' || value.trim() === '') return []
        return [{ email: row.email, score: /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN }]
      })
      return outcomeText(await recordResults(platform, scope, examSessionId, entries))
    }),
  )
  app.post('/orgs/:orgId/exam-sessions/:examSessionId/results/import', params, (request, reply) =>
    backToSession(platform, request, reply, async () => {
      const file = uploadedFile(request.body, 'file')
      if (!file) throw new InvalidError('file_required', 'Choose a CSV file of results.')
      return outcomeText(await importResults(platform, scopeOf(request), request.params.examSessionId, file.data))
    }),
  )
  app.post('/orgs/:orgId/exam-sessions/:examSessionId/self-registration', params, (request, reply) =>
    backToSession(platform, request, reply, async () => {
      const scope = scopeOf(request)
      const form = parseForm(SelfRegistrationFields, request.body)
      if (!form.ok) throw new InvalidError('self_registration_invalid', Object.values(form.errors).join(' '))
      const session = await getExamSessionView(platform.db, scope, request.params.examSessionId)
      const closesAt = form.value.closesAt ? zonedToUtc(form.value.closesAt, session.timeZone) : null
      if (closesAt === undefined) throw new InvalidError('closes_at_invalid', 'Enter the closing time as date and time, or leave it empty.')
      const open = form.value.open === 'on'
      await setSelfRegistration(platform, scope, session.id, { open, closesAt })
      return open ? 'Candidates may now register themselves.' : 'Self-registration is closed.'
    }),
  )
  app.get('/orgs/:orgId/exam-sessions/:examSessionId/attendance.pdf', params, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const session = await getExamSessionView(platform.db, scope, request.params.examSessionId)
    const registrations = await listRegistrations(platform.db, scope, session.id)
    // pdf-lib and the fonts load with the first sheet, not at every start.
    const { renderAttendanceSheet } = await import('../sessions/attendance-pdf.ts')
    const pdf = await renderAttendanceSheet({
      ...session,
      seated: registrations.filter((row) => row.status === 'seated'),
      waitlisted: registrations.filter((row) => row.status === 'waitlisted'),
      printedAt: platform.clock.now(),
    })
    const day = utcToZoned(session.startsAt, session.timeZone).slice(0, 10)
    const safeCode = session.examCode.replace(/[^A-Za-z0-9._-]/g, '_')
    return reply
      .type('application/pdf')
      .header('cache-control', 'private, no-store')
      .header('content-disposition', `attachment; filename="attendance-${safeCode}-${day}-${session.id}.pdf"`)
      .send(Buffer.from(pdf))
  })
  app.post('/orgs/:orgId/exam-sessions/:examSessionId/complete', params, (request, reply) =>
    backToSession(platform, request, reply, async () => {
      await completeExamSessions(platform, scopeOf(request), [request.params.examSessionId])
      return 'The exam session is completed.'
    }),
  )

  // Registering candidates from a CSV file: upload, preview every row, confirm.
  const importPath = (scope: OrgScope) => `/orgs/${scope.orgId}/exam-registrations/import`
  const uploadPage = (request: FastifyRequest, reply: FastifyReply, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    return reply.page(
      'Register candidates from a CSV file',
      <article>
        <h1>Register candidates from a CSV file</h1>
        <p>
          One candidate per line, with a header line naming the columns <code safe>{expectedColumns(REGISTRATIONS_CSV)}</code>. The exam session ID is on each
          exam session's page. Rows for a full, cancelled or completed exam session are refused; candidates already registered are skipped. Nobody is registered
          until you have seen the preview and confirmed.
        </p>
        <CsvUploadForm
          action={importPath(scope)}
          sampleHref={`${importPath(scope)}/sample.csv`}
          csrfToken={reply.csrfToken()}
          state={state}
          maxRows={MAX_REGISTRATION_ROWS}
          purpose={CANDIDATE_PURPOSE}
        />
      </article>,
      { orgId: scope.orgId },
    )
  }
  app.get('/orgs/:orgId/exam-registrations/import', async (request, reply) => uploadPage(request, reply))
  app.get('/orgs/:orgId/exam-registrations/import/sample.csv', async (request, reply) => {
    requireRole(scopeOf(request), 'staff')
    return sendCsv(reply, 'registrations-sample.csv', sampleRows(REGISTRATIONS_CSV))
  })
  app.get('/orgs/:orgId/exam-registrations/results-sample.csv', async (request, reply) => {
    requireRole(scopeOf(request), 'staff')
    return sendCsv(reply, 'results-sample.csv', sampleRows(RESULTS_CSV))
  })
  app.post('/orgs/:orgId/exam-registrations/import', async (request, reply) => {
    const scope = scopeOf(request)
    const upload = await previewCsvUpload(request.body, (file) => previewRegistrationImport(platform, scope, file))
    if ('state' in upload) return uploadPage(request, reply.status(422), upload.state)
    const { preview } = upload
    return reply.page(
      'Check the file',
      <CsvPreview
        preview={{ ...preview, alreadyDone: preview.alreadyRegistered }}
        verb={{ base: 'register', past: 'registered' }}
        problemsId="import-problems"
        confirm={{ action: `${importPath(scope)}/${preview.id}/confirm`, label: `Register ${preview.validRows} candidates` }}
        uploadHref={importPath(scope)}
        csrfToken={reply.csrfToken()}
      />,
      { orgId: scope.orgId },
    )
  })
  app.post('/orgs/:orgId/exam-registrations/import/:registrationImportId/confirm', { schema: { params: RegistrationImportParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    const { registrationImportId } = request.params
    try {
      const { saved } = await confirmRegistrationImport(platform, scope, registrationImportId)
      reply.flash('success', `${saved} candidates registered.`)
      return reply.redirect(`/orgs/${scope.orgId}/exam-sessions`)
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error
      reply.flash('error', error.message)
      return reply.redirect(importPath(scope))
    }
  })
}

const outcomeText = ({ recorded, passed, issued }: { recorded: number; passed: number; issued: number }) =>
  `${recorded} results saved: ${passed} passed, ${issued} credentials issued.`

/** What a candidate's name and address are used for, told where staff enter them. */
const CANDIDATE_PURPOSE =
  'Candidates’ names and email addresses are used to seat them, tell them about their exam session, put them on the attendance sheet and issue their result.'
