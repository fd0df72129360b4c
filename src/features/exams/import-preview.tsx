import { CsrfField, TableHead } from '../../platform/ui/components.tsx'
import type { RowProblem } from './bulk.ts'

const MAX_LISTED_PROBLEMS = 500

/** The preview of an uploaded CSV file: counts, each bad row with its reason, and the button that saves the good ones. */
export function ImportPreview(props: {
  fileName: string
  counts: string[]
  problems: RowProblem[]
  validRows: number
  confirmAction: string
  confirmLabel: string
  csrf: string
  againHref: string
}) {
  const { problems } = props
  return (
    <>
      <h1 safe>{`Preview of ${props.fileName}`}</h1>
      <ul>
        {props.counts.map((text) => (
          <li safe>{text}</li>
        ))}
      </ul>
      {problems.length > 0 ? (
        <table id="import-problems">
          <caption>Rows that will not be saved</caption>
          <TableHead columns={['Line', 'Problem']} />
          <tbody>
            {problems.slice(0, MAX_LISTED_PROBLEMS).map((problem) => (
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
      {problems.length > MAX_LISTED_PROBLEMS ? <p safe>{`…and ${problems.length - MAX_LISTED_PROBLEMS} more.`}</p> : ''}
      {props.validRows > 0 ? (
        <form method="post" action={props.confirmAction}>
          <CsrfField token={props.csrf} />
          <button type="submit" safe>
            {props.confirmLabel}
          </button>
        </form>
      ) : (
        <p>Nothing new to save.</p>
      )}
      <p>
        <a href={props.againHref}>Upload another file</a>
      </p>
    </>
  )
}
