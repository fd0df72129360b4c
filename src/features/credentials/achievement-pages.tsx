import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidError } from '../../platform/errors.ts'
import type { TypedApp } from '../../platform/feature.ts'
import { type FieldErrors, parseForm, uploadedFile } from '../../platform/http/forms.ts'
import {
  CsrfField,
  EmptyState,
  Field,
  FormErrorSummary,
  type FormState,
  listHref,
  Pagination,
  type SortableColumn,
  SortableTableHead,
  SortFields,
  type SortState,
} from '../../platform/ui/components.tsx'
import { requireRole, scopeOf } from '../orgs/service.ts'
import {
  type Achievement,
  type AchievementInput,
  createAchievement,
  getAchievement,
  listAchievements,
  setAchievementArchived,
  updateAchievement,
} from './achievements.ts'
import { AchievementFields, AchievementParams, AchievementsQuery } from './contract.ts'
import { checkImage } from './images/images.ts'
import { renderMarkdown } from './markdown.ts'
import type { Alignment } from './schema.ts'

const ALIGNMENT_LINE = /^(.+?)\s*\|\s*(https?:\/\/\S+)$/

/** Turns the form's text fields into an achievement input, or field errors saying what to fix. */
function achievementInput(body: unknown): { input?: AchievementInput; errors?: FieldErrors; values: Record<string, string> } {
  const form = parseForm(AchievementFields, body)
  if (!form.ok) return { errors: form.errors, values: form.values }
  const alignments: Alignment[] = []
  for (const line of (form.value.alignments ?? '')
    .split('\n')
    .map((text) => text.trim())
    .filter(Boolean)) {
    const match = ALIGNMENT_LINE.exec(line)
    if (!match) return { errors: { alignments: `"${line}" is not "Name | https://url".` }, values: form.values }
    alignments.push({ targetName: match[1] ?? '', targetUrl: match[2] ?? '' })
  }
  const tags = [
    ...new Set(
      (form.value.tags ?? '')
        .split(',')
        .map((tag) => tag.trim())
        .filter(Boolean),
    ),
  ]
  if (tags.some((tag) => tag.length > 50)) return { errors: { tags: 'Each tag can have at most 50 characters.' }, values: form.values }
  let image: AchievementInput['image']
  const file = uploadedFile(body, 'image')
  if (file) {
    try {
      image = checkImage(file.data)
    } catch (error) {
      if (error instanceof InvalidError) return { errors: error.fields, values: form.values }
      throw error
    }
  }
  return {
    input: {
      name: form.value.name,
      description: form.value.description,
      criteria: form.value.criteria,
      tags,
      alignments,
      validityMonths: form.value.validityMonths ?? null,
      image,
    },
    values: form.values,
  }
}

function AchievementForm({ action, csrf, state, achievement }: { action: string; csrf: string; state: FormState; achievement?: Achievement }) {
  return (
    <form method="post" action={action} enctype="multipart/form-data" novalidate>
      <CsrfField token={csrf} />
      <Field name="name" label="Name" value={achievement?.name} state={state} required />
      <Field name="description" label="Description" value={achievement?.description} state={state} required hint="One or two sentences shown with the badge." />
      <label for="field-criteria">Criteria (Markdown)</label>
      <textarea id="field-criteria" name="criteria" rows="5" aria-invalid={state.errors?.criteria ? 'true' : undefined} safe>
        {state.values?.criteria ?? achievement?.criteria ?? ''}
      </textarea>
      {state.errors?.criteria ? (
        <small class="field-error" safe>
          {state.errors.criteria}
        </small>
      ) : (
        ''
      )}
      <Field name="tags" label="Tags" value={achievement?.tags.join(', ')} state={state} hint="Separated by commas, e.g. safety, level 2" />
      <label for="field-alignments">Alignments (one per line: Name | URL)</label>
      <textarea id="field-alignments" name="alignments" rows="2" safe>
        {state.values?.alignments ?? achievement?.alignments.map((alignment) => `${alignment.targetName} | ${alignment.targetUrl}`).join('\n') ?? ''}
      </textarea>
      {state.errors?.alignments ? (
        <small class="field-error" safe>
          {state.errors.alignments}
        </small>
      ) : (
        ''
      )}
      <Field
        name="validityMonths"
        label="Valid for (months)"
        type="number"
        value={achievement?.validityMonths ? String(achievement.validityMonths) : undefined}
        state={state}
        hint="Leave empty for credentials that never expire."
      />
      <label for="field-image">Badge image (PNG or SVG, 64 to 2048 pixels a side, up to 1 MB)</label>
      <input id="field-image" type="file" name="image" accept="image/png,image/svg+xml" aria-invalid={state.errors?.image ? 'true' : undefined} />
      {state.errors?.image ? (
        <small class="field-error" safe>
          {state.errors.image}
        </small>
      ) : (
        ''
      )}
      <button type="submit">{achievement ? 'Save changes' : 'Create achievement'}</button>
    </form>
  )
}

const ACHIEVEMENT_COLUMNS: SortableColumn[] = [
  { label: 'Badge' },
  { label: 'Name', sortKey: 'name' },
  { label: 'Tags' },
  { label: 'Validity', sortKey: 'validity' },
]

export async function achievementPages(app: TypedApp): Promise<void> {
  const { platform } = app

  app.get('/orgs/:orgId/achievements', { schema: { querystring: AchievementsQuery } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const { query } = request
    const page = await listAchievements(platform.db, scope, {
      search: query.search,
      tag: query.tag || undefined,
      isArchived: query.archived === '1',
      page: query.page,
      sort: query.sort,
      dir: query.dir,
    })
    const base = `/orgs/${scope.orgId}/achievements`
    const filters = { search: query.search, tag: query.tag, archived: query.archived }
    const order = { sort: page.sort.key, dir: page.sort.direction }
    const href = (pageNumber: number) => listHref(base, { ...filters, ...order, page: pageNumber })
    const sortHref = (sort: SortState) => listHref(base, { ...filters, sort: sort.key, dir: sort.direction })
    return reply.page(
      'Achievements',
      <>
        <hgroup>
          <h1>Achievements</h1>
          <p>The certifications, course completions and badges your organisation issues.</p>
        </hgroup>
        <p>
          <a href={`${base}/new`} role="button">
            New achievement
          </a>{' '}
          <a href={`/orgs/${scope.orgId}/credentials/bulk`} role="button" class="secondary">
            Issue from a CSV file
          </a>
        </p>
        <form method="get" action={base} class="filters">
          <input type="search" name="search" placeholder="Search name or description" value={query.search ?? ''} aria-label="Search achievements" />
          <input name="tag" placeholder="Tag" value={query.tag ?? ''} aria-label="Tag" />
          <select name="archived" aria-label="Show">
            <option value="">Active</option>
            <option value="1" selected={query.archived === '1'}>
              Archived
            </option>
          </select>
          <SortFields sort={order.sort} dir={order.dir} />
          <button type="submit">Filter</button>
        </form>
        {page.items.length === 0 ? (
          query.search || query.tag || query.archived ? (
            <EmptyState action={{ href: base, label: 'Clear the filters' }}>No achievements match these filters.</EmptyState>
          ) : (
            <EmptyState action={{ href: `${base}/new`, label: 'Create an achievement' }}>
              No achievements yet. An achievement is what your credentials attest: a certification, a course, a badge.
            </EmptyState>
          )
        ) : (
          <table>
            <SortableTableHead columns={ACHIEVEMENT_COLUMNS} sort={page.sort} href={sortHref} />
            <tbody>
              {page.items.map((achievement) => (
                <tr>
                  <td>{achievement.hasImage ? <img src={`/achievements/${achievement.id}/image`} alt="" width="40" height="40" /> : ''}</td>
                  <td>
                    <a href={`${base}/${achievement.id}`} safe>
                      {achievement.name}
                    </a>
                  </td>
                  <td safe>{achievement.tags.join(', ')}</td>
                  <td>{achievement.validityMonths ? `${achievement.validityMonths} months` : 'No expiry'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pagination page={page.page} pageCount={page.pageCount} href={href} />
      </>,
      { orgId: scope.orgId },
    )
  })

  const newPage = (request: FastifyRequest, reply: FastifyReply, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    return reply.page(
      'New achievement',
      <article>
        <h1>New achievement</h1>
        <FormErrorSummary state={state} />
        <AchievementForm action={`/orgs/${scope.orgId}/achievements`} csrf={reply.csrfToken()} state={state} />
      </article>,
      { orgId: scope.orgId },
    )
  }
  app.get('/orgs/:orgId/achievements/new', async (request, reply) => newPage(request, reply))
  app.post('/orgs/:orgId/achievements', async (request, reply) => {
    const { input, errors, values } = achievementInput(request.body)
    if (!input) return newPage(request, reply.status(422), { errors, values })
    const achievement = await createAchievement(platform, scopeOf(request), input)
    reply.flash('success', `${achievement.name} is ready to issue.`)
    return reply.redirect(`/orgs/${achievement.orgId}/achievements/${achievement.id}`)
  })

  const detailPage = async (request: FastifyRequest, reply: FastifyReply, achievementId: string, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const achievement = await getAchievement(platform.db, scope, achievementId)
    const base = `/orgs/${scope.orgId}/achievements/${achievement.id}`
    const csrf = reply.csrfToken()
    const safeCriteria = renderMarkdown(achievement.criteria)
    return reply.page(
      achievement.name,
      <>
        <hgroup>
          <h1 safe>{achievement.name}</h1>
          <p safe>{achievement.description}</p>
        </hgroup>
        {achievement.archivedAt ? <p class="flash flash-info">Archived: it cannot be issued until restored.</p> : ''}
        <div class="grid">
          <div>
            {achievement.imageType ? <img src={`/achievements/${achievement.id}/image`} alt={`${achievement.name} badge`} width="160" height="160" /> : ''}
          </div>
          <div>
            <h2>Criteria</h2>
            <div class="criteria">{safeCriteria}</div>
          </div>
        </div>
        <p>
          {achievement.archivedAt ? (
            ''
          ) : (
            <a href={`/orgs/${scope.orgId}/credentials/issue?achievementId=${achievement.id}`} role="button">
              Issue this achievement
            </a>
          )}{' '}
          <a href={`/orgs/${scope.orgId}/credentials?achievementId=${achievement.id}`}>Credentials issued</a> · <a href={`${base}/analytics`}>Analytics</a> ·{' '}
          <a href={`${base}/design`}>Certificate design (PDF)</a> · <a href={`/achievements/${achievement.id}`}>Public page</a>
        </p>
        <details open={Object.keys(state.errors ?? {}).length > 0}>
          <summary>Edit</summary>
          <FormErrorSummary state={state} />
          <AchievementForm action={base} csrf={csrf} state={state} achievement={achievement} />
        </details>
        <form
          method="post"
          action={`${base}/${achievement.archivedAt ? 'restore' : 'archive'}`}
          data-confirm={achievement.archivedAt ? 'Restore this achievement?' : 'Archive this achievement? Issued credentials stay valid.'}
        >
          <CsrfField token={csrf} />
          <button type="submit" class="secondary outline">
            {achievement.archivedAt ? 'Restore' : 'Archive'}
          </button>
        </form>
      </>,
      { orgId: scope.orgId },
    )
  }
  app.get('/orgs/:orgId/achievements/:achievementId', { schema: { params: AchievementParams } }, async (request, reply) =>
    detailPage(request, reply, request.params.achievementId),
  )
  app.post('/orgs/:orgId/achievements/:achievementId', { schema: { params: AchievementParams } }, async (request, reply) => {
    const { input, errors, values } = achievementInput(request.body)
    if (!input) return detailPage(request, reply.status(422), request.params.achievementId, { errors, values })
    const scope = scopeOf(request)
    const achievement = await updateAchievement(platform, scope, request.params.achievementId, input)
    reply.flash('success', 'Saved. Credentials issued from now on use these details.')
    return reply.redirect(`/orgs/${scope.orgId}/achievements/${achievement.id}`)
  })
  for (const action of ['archive', 'restore'] as const) {
    app.post(`/orgs/:orgId/achievements/:achievementId/${action}`, { schema: { params: AchievementParams } }, async (request, reply) => {
      const scope = scopeOf(request)
      const { achievementId } = request.params
      await setAchievementArchived(platform, scope, achievementId, action === 'archive')
      reply.flash('success', action === 'archive' ? 'Archived.' : 'Restored.')
      return reply.redirect(`/orgs/${scope.orgId}/achievements/${achievementId}`)
    })
  }
}
