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
        {columns.map((column) =>
          column ? (
            <th scope="col" safe>
              {column}
            </th>
          ) : (
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          ),
        )}
      </tr>
    </thead>
  )
}

export function EmptyState({ children }: { children: Children }) {
  return <p class="empty-state">{children}</p>
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
