import type { Children } from '@kitajs/html'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { TObject, TString } from 'typebox'
import type { Db } from '../../../platform/db/client.ts'
import { InvalidError } from '../../../platform/errors.ts'
import type { TypedApp, TypedRequest } from '../../../platform/feature.ts'
import { parseForm } from '../../../platform/http/forms.ts'
import type { Platform } from '../../../platform/platform.ts'
import {
  CsrfField,
  EmptyState,
  Field,
  FormErrorSummary,
  type FormState,
  Pagination,
  PurposeNotice,
  SelectField,
  TableHead,
} from '../../../platform/ui/components.tsx'
import { listAchievements } from '../../credentials/service.ts'
import { listMembers, type OrgScope, type Page, requireRole, scopeOf } from '../../orgs/service.ts'
import { ArchivedQuery, CentreFields, CentreParams, ExamFields, ExamParams, ProctorFields, ProctorParams, RoomFields, RoomParams } from '../contract.ts'
import { exams, proctors, rooms, testCentres } from '../schema.ts'
import {
  type Exam,
  type ExamInput,
  getCentre,
  getExam,
  getProctor,
  getRoom,
  listCentres,
  listExams,
  listProctors,
  listRooms,
  type Proctor,
  type Room,
  saveCentre,
  saveExam,
  saveProctor,
  saveRoom,
  setArchived,
  type TestCentre,
} from './catalog.ts'

export const TIME_ZONES = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')]

/** Every page of a paged list (achievements and members are picked from in forms). */
async function everyItem<T>(load: (page: number) => Promise<{ items: T[]; pageCount: number }>): Promise<T[]> {
  const first = await load(1)
  const items = [...first.items]
  for (let page = 2; page <= first.pageCount; page++) items.push(...(await load(page)).items)
  return items
}

interface FormContext<Item> {
  platform: Platform
  scope: OrgScope
  state: FormState
  item?: Item
}

/** One kind of catalog item and how its pages look; `catalogPages` builds the same list, create, edit and archive pages for each. */
interface CatalogKind<Item extends { id: string; archivedAt: Date | null }, Schema extends TObject> {
  path: string
  param: 'examId' | 'centreId' | 'proctorId'
  params: TObject<Record<string, TString>>
  table: typeof exams | typeof testCentres | typeof proctors
  singular: string
  /** "a" or "an", for "Create an exam". */
  article: 'a' | 'an'
  plural: string
  intro: string
  empty: string
  columns: string[]
  cells: (item: Item) => Children[]
  title: (item: Item) => string
  list: (db: Db, scope: OrgScope, options: { isArchived: boolean; page?: number }) => Promise<Page<Item>>
  get: (db: Db, scope: OrgScope, id: string) => Promise<Item>
  fields: Schema
  form: (context: FormContext<Item>) => JSX.Element
  save: (platform: Platform, scope: OrgScope, value: Record<string, unknown>, id?: string) => Promise<Item>
  extra?: (platform: Platform, scope: OrgScope, item: Item, csrf: string) => JSX.Element
}

function ArchiveButton({ action, isArchived, csrf, what }: { action: string; isArchived: boolean; csrf: string; what: string }) {
  return (
    <form method="post" action={`${action}/${isArchived ? 'restore' : 'archive'}`} class="inline-form">
      <CsrfField token={csrf} />
      <button type="submit" class="secondary outline" aria-label={`${isArchived ? 'Restore' : 'Archive'} ${what}`}>
        {isArchived ? 'Restore' : 'Archive'}
      </button>
    </form>
  )
}

/** Re-renders a form with what to fix when a service rejects the input, else rethrows. */
async function orFormErrors<T>(work: () => Promise<T>, show: (state: FormState) => Promise<FastifyReply>, values: Record<string, string>) {
  try {
    return await work()
  } catch (error) {
    if (error instanceof InvalidError) {
      await show({ errors: Object.keys(error.fields).length > 0 ? error.fields : { form: error.message }, values })
      return undefined
    }
    throw error
  }
}

function catalogPages<Item extends { id: string; archivedAt: Date | null }, Schema extends TObject>(app: TypedApp, kind: CatalogKind<Item, Schema>) {
  const { platform } = app
  const baseOf = (scope: OrgScope) => `/orgs/${scope.orgId}/${kind.path}`

  app.get(`/orgs/:orgId/${kind.path}`, { schema: { querystring: ArchivedQuery } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const { query } = request
    const page = await kind.list(platform.db, scope, { isArchived: query.archived === '1', page: query.page })
    const base = baseOf(scope)
    return reply.page(
      kind.plural,
      <>
        <hgroup>
          <h1 safe>{kind.plural}</h1>
          <p safe>{kind.intro}</p>
        </hgroup>
        <p>
          <a href={`${base}/new`} role="button" safe>{`New ${kind.singular}`}</a>{' '}
          {query.archived === '1' ? <a href={base}>Show active</a> : <a href={`${base}?archived=1`}>Show archived</a>}
        </p>
        {page.items.length === 0 ? (
          <EmptyState
            action={
              query.archived === '1'
                ? { href: base, label: `Show active ${kind.plural.toLowerCase()}` }
                : { href: `${base}/new`, label: `Create ${kind.article} ${kind.singular}` }
            }
          >
            <span safe>{query.archived === '1' ? `No archived ${kind.plural.toLowerCase()}.` : kind.empty}</span>
          </EmptyState>
        ) : (
          <table>
            <TableHead columns={kind.columns} />
            <tbody>
              {page.items.map((item) => (
                <tr>
                  <td>
                    <a href={`${base}/${item.id}`} safe>
                      {kind.title(item)}
                    </a>
                  </td>
                  {kind.cells(item).map((cell) => (
                    <td>{cell}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pagination page={page.page} pageCount={page.pageCount} href={(n) => `${base}?archived=${query.archived ?? ''}&page=${n}`} />
      </>,
      { orgId: scope.orgId },
    )
  })

  const newPage = async (request: FastifyRequest, reply: FastifyReply, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    return reply.page(
      `New ${kind.singular}`,
      <article>
        <h1 safe>{`New ${kind.singular}`}</h1>
        <FormErrorSummary state={state} />
        <form method="post" action={baseOf(scope)} novalidate>
          <CsrfField token={reply.csrfToken()} />
          {kind.form({ platform, scope, state })}
          <button type="submit" safe>{`Create ${kind.singular}`}</button>
        </form>
      </article>,
      { orgId: scope.orgId },
    )
  }
  app.get(`/orgs/:orgId/${kind.path}/new`, async (request, reply) => newPage(request, reply))
  app.post(`/orgs/:orgId/${kind.path}`, async (request, reply) => {
    const form = parseForm(kind.fields, request.body)
    if (!form.ok) return newPage(request, reply.status(422), form)
    const scope = scopeOf(request)
    const item = await orFormErrors(
      () => kind.save(platform, scope, form.value, undefined),
      (state) => newPage(request, reply.status(422), state),
      form.values,
    )
    if (!item) return reply
    reply.flash('success', `${kind.title(item)} was created.`)
    return reply.redirect(`${baseOf(scope)}/${item.id}`)
  })

  const detailPage = async (request: FastifyRequest, reply: FastifyReply, id: string, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const item = await kind.get(platform.db, scope, id)
    const action = `${baseOf(scope)}/${item.id}`
    const csrf = reply.csrfToken()
    return reply.page(
      kind.title(item),
      <>
        <h1 safe>{kind.title(item)}</h1>
        {item.archivedAt ? <p class="flash flash-info">Archived: new exam sessions cannot use it until it is restored.</p> : ''}
        <FormErrorSummary state={state} />
        <form method="post" action={action} novalidate>
          <CsrfField token={csrf} />
          {kind.form({ platform, scope, state, item })}
          <button type="submit">Save changes</button>
        </form>
        <ArchiveButton action={action} isArchived={item.archivedAt !== null} csrf={csrf} what={kind.title(item)} />
        {kind.extra ? kind.extra(platform, scope, item, csrf) : ''}
        <p>
          <a href={baseOf(scope)} safe>{`All ${kind.plural.toLowerCase()}`}</a>
        </p>
      </>,
      { orgId: scope.orgId },
    )
  }
  const itemPath = `/orgs/:orgId/${kind.path}/:${kind.param}`
  app.get(itemPath, { schema: { params: kind.params } }, async (request, reply) => detailPage(request, reply, request.params[kind.param] ?? ''))
  app.post(itemPath, { schema: { params: kind.params } }, async (request, reply) => {
    const id = request.params[kind.param] ?? ''
    const form = parseForm(kind.fields, request.body)
    if (!form.ok) return detailPage(request, reply.status(422), id, form)
    const scope = scopeOf(request)
    const item = await orFormErrors(
      () => kind.save(platform, scope, form.value, id),
      (state) => detailPage(request, reply.status(422), id, state),
      form.values,
    )
    if (!item) return reply
    reply.flash('success', 'Saved.')
    return reply.redirect(`${baseOf(scope)}/${id}`)
  })
  for (const action of ['archive', 'restore'] as const) {
    app.post(`${itemPath}/${action}`, { schema: { params: kind.params } }, async (request, reply) => {
      const scope = scopeOf(request)
      const id = request.params[kind.param] ?? ''
      await setArchived(platform, scope, kind.table, id, action === 'archive')
      reply.flash('success', action === 'archive' ? 'Archived.' : 'Restored.')
      return reply.redirect(`${baseOf(scope)}/${id}`)
    })
  }
}

const text = (value: number | string | null | undefined) => (value === null || value === undefined ? undefined : String(value))

const examKind: CatalogKind<Exam, typeof ExamFields> = {
  path: 'exams',
  param: 'examId',
  params: ExamParams,
  table: exams,
  singular: 'exam',
  article: 'an',
  plural: 'Exams',
  intro: 'The exams your organisation runs, and the achievement a pass earns.',
  empty: 'No exams yet: create the first one, then schedule exam sessions for it.',
  columns: ['Code', 'Title', 'Duration', 'Pass mark'],
  title: (exam) => exam.code,
  cells: (exam) => [<span safe>{exam.title}</span>, `${exam.durationMinutes} min`, `${exam.passMark} of ${exam.maxScore}`],
  list: listExams,
  get: getExam,
  fields: ExamFields,
  async form({ platform, scope, state, item }) {
    const achievements = await everyItem((page) => listAchievements(platform.db, scope, { page }))
    return (
      <>
        <Field
          name="code"
          label="Code"
          value={item?.code}
          state={state}
          required
          hint="Unique in your organisation, e.g. FA-101; CSV files name exams by it."
        />
        <Field name="title" label="Title" value={item?.title} state={state} required />
        <div class="grid">
          <Field name="durationMinutes" label="Duration (minutes)" type="number" value={text(item?.durationMinutes)} state={state} required />
          <Field name="passMark" label="Pass mark" type="number" value={text(item?.passMark)} state={state} required />
          <Field name="maxScore" label="Maximum score" type="number" value={text(item?.maxScore)} state={state} required />
        </div>
        <SelectField
          name="achievementId"
          label="Achievement a pass earns"
          options={[{ value: '', label: 'None' }, ...achievements.map((achievement) => ({ value: achievement.id, label: achievement.name }))]}
          state={state}
          value={item?.achievementId ?? ''}
        />
        <div class="grid">
          <Field
            name="checkInOpensMinutesBefore"
            label="Check-in opens (minutes before the start)"
            type="number"
            value={text(item?.checkInOpensMinutesBefore ?? 60)}
            state={state}
          />
          <Field
            name="resultsOpenMinutesBefore"
            label="Results open (minutes before the start)"
            type="number"
            value={text(item?.resultsOpenMinutesBefore ?? 0)}
            state={state}
            hint="0: once the exam session has started."
          />
        </div>
      </>
    )
  },
  save: (platform, scope, value, id) => {
    const form = value as Omit<ExamInput, 'achievementId'> & { achievementId?: string }
    return saveExam(platform, scope, { ...form, achievementId: form.achievementId || null }, id)
  },
}

const centreKind: CatalogKind<TestCentre, typeof CentreFields> = {
  path: 'test-centres',
  param: 'centreId',
  params: CentreParams,
  table: testCentres,
  singular: 'testing centre',
  article: 'a',
  plural: 'Testing centres',
  intro: 'Where exam sessions take place: each centre has rooms with a number of seats, and its own time zone.',
  empty: 'No testing centres yet: create one, then add its rooms.',
  columns: ['Code', 'Name', 'Time zone'],
  title: (centre) => centre.code,
  cells: (centre) => [<span safe>{centre.name}</span>, <span safe>{centre.timeZone}</span>],
  list: listCentres,
  get: getCentre,
  fields: CentreFields,
  form: ({ state, item }) => (
    <>
      <Field name="code" label="Code" value={item?.code} state={state} required hint="Unique in your organisation, e.g. LON-1; CSV files name centres by it." />
      <Field name="name" label="Name" value={item?.name} state={state} required />
      <SelectField
        name="timeZone"
        label="Time zone"
        options={TIME_ZONES.map((zone) => ({ value: zone, label: zone }))}
        state={state}
        value={item?.timeZone ?? 'UTC'}
      />
    </>
  ),
  save: (platform, scope, value, id) => saveCentre(platform, scope, value as { code: string; name: string; timeZone: string }, id),
  async extra(platform, scope, centre, csrf) {
    const centreRooms = await listRooms(platform.db, scope, [centre.id])
    const base = `/orgs/${scope.orgId}/test-centres/${centre.id}/rooms`
    return (
      <section>
        <h2>Rooms</h2>
        {centreRooms.length === 0 ? (
          <EmptyState action={{ href: '#new-room', label: 'Add a room' }}>No rooms yet: add the first one below.</EmptyState>
        ) : (
          <table>
            <TableHead columns={['Room', 'Seats', '']} />
            <tbody>
              {centreRooms.map((room) => (
                <tr>
                  <td>
                    <a href={`${base}/${room.id}`} safe>
                      {room.name}
                    </a>
                    {room.archivedAt ? ' (archived)' : ''}
                  </td>
                  <td safe>{String(room.capacity)}</td>
                  <td>
                    <ArchiveButton action={`${base}/${room.id}`} isArchived={room.archivedAt !== null} csrf={csrf} what={`room ${room.name}`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <RoomForm action={base} csrf={csrf} state={{}} />
      </section>
    )
  },
}

function RoomForm({ action, csrf, state, room }: { action: string; csrf: string; state: FormState; room?: Room }) {
  return (
    <form method="post" action={action} novalidate id={room ? undefined : 'new-room'}>
      <CsrfField token={csrf} />
      <div class="grid">
        <Field name="name" label="Room name" value={room?.name} state={state} required />
        <Field name="capacity" label="Seats" type="number" value={text(room?.capacity)} state={state} required />
      </div>
      <button type="submit">{room ? 'Save room' : 'Add room'}</button>
    </form>
  )
}

const proctorKind: CatalogKind<Proctor, typeof ProctorFields> = {
  path: 'proctors',
  param: 'proctorId',
  params: ProctorParams,
  table: proctors,
  singular: 'proctor',
  article: 'a',
  plural: 'Proctors',
  intro: 'The people who supervise exam sessions.',
  empty: 'No proctors yet: add the people who supervise your exam sessions.',
  columns: ['Name', 'Email', 'Portal proctor ID'],
  title: (proctor) => proctor.name,
  cells: (proctor) => [<span safe>{proctor.email}</span>, <span safe>{proctor.portalProctorId ?? '—'}</span>],
  list: listProctors,
  get: getProctor,
  fields: ProctorFields,
  async form({ platform, scope, state, item }) {
    const members = await everyItem((page) => listMembers(platform.db, scope, { page }))
    return (
      <>
        <Field name="name" label="Name" value={item?.name} state={state} required />
        <Field name="email" label="Email" type="email" value={item?.email} state={state} required />
        <PurposeNotice purpose="A proctor’s name and email address are used to assign them to exam sessions and to print them on attendance sheets." />
        <SelectField
          name="memberId"
          label="Member of your organisation (optional)"
          options={[{ value: '', label: 'Not a member' }, ...members.map((member) => ({ value: member.id, label: `${member.name} <${member.email}>` }))]}
          state={state}
          value={item?.memberId ?? ''}
        />
        <Field
          name="portalProctorId"
          label="Portal proctor ID (optional)"
          value={item?.portalProctorId ?? undefined}
          state={state}
          hint="Who this proctor is at your testing portal; needed to create their exam sessions there."
        />
      </>
    )
  },
  save: (platform, scope, value, id) => {
    const form = value as { name: string; email: string; memberId?: string; portalProctorId?: string }
    return saveProctor(platform, scope, { ...form, memberId: form.memberId || null, portalProctorId: form.portalProctorId || null }, id)
  },
}

export async function catalogRoutes(app: TypedApp): Promise<void> {
  const { platform } = app
  catalogPages(app, examKind)
  catalogPages(app, centreKind)
  catalogPages(app, proctorKind)

  const roomsOf = (scope: OrgScope, centreId: string) => `/orgs/${scope.orgId}/test-centres/${centreId}`
  app.post('/orgs/:orgId/test-centres/:centreId/rooms', { schema: { params: CentreParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    const { centreId } = request.params
    await getCentre(platform.db, scope, centreId)
    const form = parseForm(RoomFields, request.body)
    try {
      if (!form.ok) throw new InvalidError('room_invalid', Object.values(form.errors).join(' '))
      const room = await saveRoom(platform, scope, centreId, form.value)
      reply.flash('success', `Room ${room.name} was added.`)
    } catch (error) {
      if (!(error instanceof InvalidError)) throw error
      reply.flash('error', error.message)
    }
    return reply.redirect(roomsOf(scope, centreId))
  })

  const roomPage = async (request: TypedRequest<{ params: typeof RoomParams }>, reply: FastifyReply, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const { centreId, roomId } = request.params
    const centre = await getCentre(platform.db, scope, centreId)
    const room = await getRoom(platform.db, scope, roomId)
    if (room.centreId !== centre.id) throw new InvalidError('room_elsewhere', 'This room belongs to another testing centre.')
    return reply.page(
      `Room ${room.name}`,
      <article>
        <h1 safe>{`Room ${room.name} at ${centre.code}`}</h1>
        <FormErrorSummary state={state} />
        <RoomForm action={`${roomsOf(scope, centreId)}/rooms/${room.id}`} csrf={reply.csrfToken()} state={state} room={room} />
        <p>
          <a href={roomsOf(scope, centreId)} safe>{`Back to ${centre.code}`}</a>
        </p>
      </article>,
      { orgId: scope.orgId },
    )
  }
  app.get('/orgs/:orgId/test-centres/:centreId/rooms/:roomId', { schema: { params: RoomParams } }, async (request, reply) => roomPage(request, reply))
  app.post('/orgs/:orgId/test-centres/:centreId/rooms/:roomId', { schema: { params: RoomParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    const { centreId, roomId } = request.params
    const form = parseForm(RoomFields, request.body)
    if (!form.ok) return roomPage(request, reply.status(422), form)
    const room = await orFormErrors(
      () => saveRoom(platform, scope, centreId, form.value, roomId),
      (state) => roomPage(request, reply.status(422), state),
      form.values,
    )
    if (!room) return reply
    reply.flash('success', 'Room saved.')
    return reply.redirect(roomsOf(scope, centreId))
  })
  for (const action of ['archive', 'restore'] as const) {
    app.post(`/orgs/:orgId/test-centres/:centreId/rooms/:roomId/${action}`, { schema: { params: RoomParams } }, async (request, reply) => {
      const scope = scopeOf(request)
      const { centreId, roomId } = request.params
      if ((await getRoom(platform.db, scope, roomId)).centreId !== centreId)
        throw new InvalidError('room_elsewhere', 'This room belongs to another testing centre.')
      await setArchived(platform, scope, rooms, roomId, action === 'archive')
      reply.flash('success', action === 'archive' ? 'Room archived.' : 'Room restored.')
      return reply.redirect(roomsOf(scope, centreId))
    })
  }
}
