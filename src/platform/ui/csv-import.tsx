import type { Children } from '@kitajs/html'
import { MAX_CSV_BYTES } from '../csv.ts'
import { InvalidError } from '../errors.ts'
import { type UploadedFile, uploadedFile } from '../http/forms.ts'
import { CsrfField, FormErrorSummary, type FormState, PurposeNotice, TableHead } from './components.tsx'

const MAX_LISTED_PROBLEMS = 500
const MAX_LISTED_ROWS = 100

/**
 * The file field of a CSV upload; what the rows mean is said by the page around it, and what the personal
 * data in them is used for by `purpose` (shown at the form, see PurposeNotice).
 */
export function CsvUploadForm({
  children,
  ...props
}: {
  action: string
  csrfToken: string
  state: FormState
  purpose: string
  /** The import's sample file: its header line and two example rows (see `sampleRows`). */
  sampleHref: string
  maxRows?: number
  children?: Children
}) {
  const limits = props.maxRows ? ` and ${props.maxRows.toLocaleString('en')} rows` : ''
  return (
    <>
      <p>
        <a href={props.sampleHref} download="">
          Download a sample file
        </a>{' '}
        with the header line and two example rows to fill in.
      </p>
      <FormErrorSummary state={props.state} />
      <form method="post" action={props.action} enctype="multipart/form-data">
        <CsrfField token={props.csrfToken} />
        <label for="field-file" safe>{`CSV file (up to ${MAX_CSV_BYTES / 1024 / 1024} MB${limits})`}</label>
        <input id="field-file" type="file" name="file" accept=".csv,text/csv" required />
        {children}
        <PurposeNotice purpose={props.purpose} />
        <button type="submit">Check the file</button>
      </form>
    </>
  )
}

export interface CsvPreviewCounts {
  fileName: string
  totalRows: number
  validRows: number
  /** Rows an earlier upload of the same lines already handled. */
  alreadyDone: number
  problems: { line: number; reason: string }[]
}

/** The rows confirming will act on, as the preview lists them (the first ones, with the line each comes from). */
export interface CsvPreviewRows {
  columns: string[]
  rows: { line: number; cells: string[] }[]
}

/**
 * The preview of an uploaded CSV file: counts, every bad line with its reason, and the confirm button.
 * `verb` is what confirming does to a row (`{ base: 'issue', past: 'issued' }`); `confirm` labels the button.
 */
export function CsvPreview(props: {
  preview: CsvPreviewCounts
  verb: { base: string; past: string }
  problemsId: string
  confirm: { action: string; label: string; question?: string }
  uploadHref: string
  csrfToken: string
  accepted?: CsvPreviewRows
}) {
  const { preview, verb, accepted } = props
  const listedRows = accepted?.rows.slice(0, MAX_LISTED_ROWS) ?? []
  return (
    <>
      <h1 safe>{`Preview of ${preview.fileName}`}</h1>
      <ul>
        <li safe>{`${preview.totalRows} rows read`}</li>
        <li safe>{`${preview.validRows} ready to ${verb.base}`}</li>
        {preview.alreadyDone > 0 ? <li safe>{`${preview.alreadyDone} already ${verb.past} by an earlier upload (skipped)`}</li> : ''}
        <li safe>{`${preview.problems.length} with problems (not ${verb.past})`}</li>
      </ul>
      {accepted && listedRows.length > 0 ? (
        <table>
          <caption safe>
            {accepted.rows.length > listedRows.length
              ? `Rows that will be ${verb.past} (the first ${listedRows.length} of ${accepted.rows.length})`
              : `Rows that will be ${verb.past}`}
          </caption>
          <TableHead columns={['Line', ...accepted.columns]} />
          <tbody>
            {listedRows.map((row) => (
              <tr>
                <td safe>{String(row.line)}</td>
                {row.cells.map((cell) => (
                  <td safe>{cell}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        ''
      )}
      {preview.problems.length > 0 ? (
        <table id={props.problemsId}>
          <caption safe>{`Rows that will not be ${verb.past}`}</caption>
          <TableHead columns={['Line', 'Problem']} />
          <tbody>
            {preview.problems.slice(0, MAX_LISTED_PROBLEMS).map((problem) => (
              <tr>
                <td safe>{String(problem.line)}</td>
                <td safe>{problem.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="flash flash-success">Every row is fine.</p>
      )}
      {preview.problems.length > MAX_LISTED_PROBLEMS ? <p safe>{`…and ${preview.problems.length - MAX_LISTED_PROBLEMS} more.`}</p> : ''}
      {preview.validRows > 0 ? (
        <form method="post" action={props.confirm.action} data-confirm={props.confirm.question}>
          <CsrfField token={props.csrfToken} />
          <button type="submit" safe>
            {props.confirm.label}
          </button>
        </form>
      ) : (
        <p safe>{`Nothing new to ${verb.base}.`}</p>
      )}
      <p>
        <a href={props.uploadHref}>Upload another file</a>
      </p>
    </>
  )
}

/** The preview of the CSV file in a form's `file` field, or what to say beside that field: no file chosen, or why the file was refused. */
export async function previewCsvUpload<T>(
  body: unknown,
  preview: (file: { fileName: string; content: Buffer }) => Promise<T>,
): Promise<{ preview: T } | { state: FormState }> {
  const file: UploadedFile | undefined = uploadedFile(body, 'file')
  if (!file) return { state: { errors: { file: 'Choose a CSV file.' } } }
  try {
    return { preview: await preview({ fileName: file.fileName, content: file.data }) }
  } catch (error) {
    if (error instanceof InvalidError) return { state: { errors: { file: error.message } } }
    throw error
  }
}
