import type { Children } from '@kitajs/html'
import type { FieldErrors } from '../http/forms.ts'
import { ENGLISH, type Messages } from '../i18n/messages.ts'

export interface FormState {
  values?: Record<string, string>
  errors?: FieldErrors
}

export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />
}

export interface FieldProps {
  name: string
  label: string
  type?: string
  state?: FormState
  value?: string
  required?: boolean
  autocomplete?: string
  hint?: string
  inputmode?: string
  autofocus?: boolean
}

/** A labelled input with its inline error, wired for screen readers (aria-invalid, aria-describedby). */
export function Field({ name, label, type = 'text', state, value, required, autocomplete, hint, inputmode, autofocus }: FieldProps) {
  const error = state?.errors?.[name]
  const id = `field-${name}`
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined
  return (
    <div class="field">
      <label for={id} safe>
        {label}
      </label>
      <input
        id={id}
        name={name}
        type={type}
        value={type === 'password' ? undefined : (state?.values?.[name] ?? value)}
        required={required}
        autocomplete={autocomplete}
        inputmode={inputmode}
        autofocus={autofocus}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy}
      />
      {error ? (
        <small id={`${id}-error`} class="field-error" safe>
          {error}
        </small>
      ) : hint ? (
        <small id={`${id}-hint`} safe>
          {hint}
        </small>
      ) : (
        ''
      )}
    </div>
  )
}

export function SelectField({
  name,
  label,
  options,
  state,
  value,
}: {
  name: string
  label: string
  options: { value: string; label: string }[]
  state?: FormState
  value?: string
}) {
  const selected = state?.values?.[name] ?? value
  const error = state?.errors?.[name]
  return (
    <label for={`field-${name}`}>
      <span safe>{label}</span>
      <select id={`field-${name}`} name={name} aria-invalid={error ? 'true' : undefined}>
        {options.map((option) => (
          <option value={option.value} selected={option.value === selected} safe>
            {option.label}
          </option>
        ))}
      </select>
      {error ? (
        <small class="field-error" safe>
          {error}
        </small>
      ) : (
        ''
      )}
    </label>
  )
}

export function FormErrorSummary({ state, messages = ENGLISH }: { state?: FormState; messages?: Messages }) {
  const errors = Object.values(state?.errors ?? {})
  if (errors.length === 0) return ''
  return (
    <div class="flash flash-error" role="alert">
      <p>
        <strong safe>{messages.t('form.fixProblems', { count: errors.length })}</strong>
      </p>
      <ul>
        {errors.map((error) => (
          <li safe>{error}</li>
        ))}
      </ul>
    </div>
  )
}

/** A table head; an empty column name is an unlabelled actions column, named for screen readers only. */
export function TableHead({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((column) => (
          <TableHeaderCell label={column} />
        ))}
      </tr>
    </thead>
  )
}

/** The next step out of an empty state: a link to the page or form that fills it. */
export interface EmptyStateAction {
  href: string
  label: string
}

/** An empty list or page: what is missing and, with `action`, the next step as a button-styled link. */
export function EmptyState({ children, action }: { children: Children; action?: EmptyStateAction }) {
  return (
    <div class="empty-state">
      <p>{children}</p>
      {action ? (
        <a href={action.href} role="button" safe>
          {action.label}
        </a>
      ) : (
        ''
      )}
    </div>
  )
}

function TableHeaderCell({ label }: { label: string }) {
  return label ? (
    <th scope="col" safe>
      {label}
    </th>
  ) : (
    <th scope="col">
      <span class="visually-hidden">Actions</span>
    </th>
  )
}

/** Hidden fields that carry a list's order through its filter form, so filtering keeps the chosen sort. */
export function SortFields({ sort, dir }: { sort?: string; dir?: string }) {
  if (!sort) return ''
  return (
    <>
      <input type="hidden" name="sort" value={sort} />
      <input type="hidden" name="dir" value={dir} />
    </>
  )
}

export interface SortState {
  key: string
  direction: 'asc' | 'desc'
}

/** A column of a sortable table: `sortKey` names it in `?sort=`; without one the column is not sortable (and an empty label is an actions column, as in `TableHead`). */
export interface SortableColumn {
  label: string
  sortKey?: string
  /** The direction a first click sorts in: `desc` suits dates and counts, where the latest or largest matter. */
  firstDirection?: 'asc' | 'desc'
}

/**
 * A header cell that sorts its table by a link (works without script): a click sorts by this column,
 * a second click reverses it. `aria-sort` tells screen readers which column orders the rows.
 */
export function SortableHeaderCell({ column, sort, href }: { column: SortableColumn; sort: SortState; href: (sort: SortState) => string }) {
  if (!column.sortKey) return <TableHeaderCell label={column.label} />
  const isSorted = sort.key === column.sortKey
  const next: SortState = {
    key: column.sortKey,
    direction: isSorted ? (sort.direction === 'asc' ? 'desc' : 'asc') : (column.firstDirection ?? 'asc'),
  }
  return (
    <th scope="col" aria-sort={isSorted ? (sort.direction === 'asc' ? 'ascending' : 'descending') : undefined}>
      <a href={href(next)} class="sort-link">
        <span safe>{column.label}</span>
        {isSorted ? <span aria-hidden="true">{sort.direction === 'asc' ? ' ▲' : ' ▼'}</span> : ''}
      </a>
    </th>
  )
}

/** A table head whose columns with a `sortKey` sort the table; see `SortableHeaderCell`. */
export function SortableTableHead({ columns, sort, href }: { columns: SortableColumn[]; sort: SortState; href: (sort: SortState) => string }) {
  return (
    <thead>
      <tr>
        {columns.map((column) => (
          <SortableHeaderCell column={column} sort={sort} href={href} />
        ))}
      </tr>
    </thead>
  )
}

/**
 * A list page's address with its filters, order and page in the query, empty ones left out, so that
 * sorting and paging links keep what the person chose.
 */
export function listHref(base: string, query: Record<string, string | number | undefined>): string {
  const search = listQuery(query)
  return search ? `${base}?${search}` : base
}

/** A query string of the given fields, empty ones left out. */
export function listQuery(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value))
  return params.toString()
}

export interface PageLinks {
  page: number
  pageCount: number
  href: (page: number) => string
}

export function Pagination({ page, pageCount, href }: PageLinks) {
  if (pageCount <= 1) return ''
  return (
    <nav aria-label="Pagination" class="pagination">
      <ul>
        <li>{page > 1 ? <a href={href(page - 1)}>← Previous</a> : <span aria-disabled="true">← Previous</span>}</li>
        <li>
          <span safe>{`Page ${page} of ${pageCount}`}</span>
        </li>
        <li>{page < pageCount ? <a href={href(page + 1)}>Next →</a> : <span aria-disabled="true">Next →</span>}</li>
      </ul>
    </nav>
  )
}

/** A live progress bar: htmx polls the job's progress fragment until the job ends. */
export function JobProgress({
  jobId,
  title,
  state,
  done,
  total,
  message,
  pollUrl,
}: {
  jobId: string
  title: string
  state: string
  done: number
  total: number
  message: string | null
  /** Where the bar polls for itself, when not the job's own progress fragment (e.g. a run that outlives one job). */
  pollUrl?: string
}) {
  const isFinished = state === 'completed' || state === 'failed' || state === 'stopped'
  const percent = total > 0 ? Math.round((done / total) * 100) : isFinished ? 100 : 0
  return (
    <article
      id={`job-${jobId}`}
      class="job-progress"
      data-state={state}
      hx-get={isFinished ? undefined : (pollUrl ?? `/jobs/${jobId}/progress`)}
      hx-trigger={isFinished ? undefined : 'every 500ms'}
      hx-swap="outerHTML"
    >
      <header safe>{title}</header>
      <progress value={String(percent)} max="100" aria-label={`${title}: ${percent}%`} />
      <p>
        <span class="job-state" safe>
          {state}
        </span>{' '}
        <span safe>{` · ${done} of ${total} (${percent}%)`}</span>
      </p>
      {message ? <small safe>{message}</small> : ''}
    </article>
  )
}

/** A checkbox with its label; unticked unless the person ticked it (a form re-shown) or `checked` says so. */
export function CheckboxField({ name, label, state, checked = false }: { name: string; label: string; state?: FormState; checked?: boolean }) {
  const isChecked = state?.values ? state.values[name] === 'on' : checked
  return (
    <label>
      <input type="checkbox" name={name} checked={isChecked} /> <span safe>{label}</span>
    </label>
  )
}

/**
 * Says, at a form that collects personal data, what that data is for ("before or at the time of
 * collecting", as privacy policies promise), with a link to the privacy policy.
 */
export function PurposeNotice({ purpose, messages = ENGLISH }: { purpose: string; messages?: Messages }) {
  return (
    <p class="purpose-notice">
      <small>
        <span safe>{purpose}</span>{' '}
        <a href="/privacy" safe>
          {messages.t('form.purposeLink')}
        </a>
      </small>
    </p>
  )
}
