import { CsrfField, EmptyState, JobProgress, TableHead } from '../../../platform/ui/components.tsx'
import type { DataExportState, DataExportView } from './service.ts'

export const exportUrls = {
  request: '/account/privacy/exports',
  download: (exportId: string) => `/account/privacy/exports/${exportId}`,
  progress: (exportId: string) => `/account/privacy/exports/${exportId}/progress`,
}

export const formatTime = (date: Date) => `${date.toISOString().replace('T', ' ').slice(0, 16)} UTC`

export function percentOf(view: DataExportView): number {
  if (view.state === 'ready') return 100
  const { done = 0, total = 0 } = view.progress ?? {}
  return total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0
}

function formatSize(bytes: number | null): string {
  if (bytes === null) return ''
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}

const STATE_LABELS: Record<DataExportState, string> = {
  building: 'Being prepared',
  failed: 'Failed: ask again',
  ready: 'Ready',
  expired: 'Expired: ask again',
}

/** An export being prepared (a live progress bar polling its own fragment), or its download link once ready. */
export function ExportStatus({ view }: { view: DataExportView }) {
  if (view.state === 'building' && view.jobId) {
    return (
      <JobProgress
        jobId={view.jobId}
        title="Preparing your data"
        state={view.progress?.state ?? 'queued'}
        done={view.progress?.done ?? 0}
        total={view.progress?.total ?? 0}
        message={view.progress?.message ?? null}
        pollUrl={exportUrls.progress(view.id)}
      />
    )
  }
  if (view.state === 'ready') {
    return (
      <p class="export-ready" id={`export-${view.id}`}>
        <a href={exportUrls.download(view.id)} role="button" download="">
          Download your data (ZIP)
        </a>{' '}
        <small safe>{`${formatSize(view.sizeBytes)} · ${view.fileCount ?? 0} files · available until ${formatTime(view.expiresAt)}`}</small>
      </p>
    )
  }
  return (
    <p id={`export-${view.id}`} safe>
      {STATE_LABELS[view.state]}
    </p>
  )
}

/**
 * "Download all my data" for the My privacy page: the button, the live progress of an export being
 * prepared, and the person's exports with their download links until they expire.
 */
export function ExportSection({ exports, csrf }: { exports: DataExportView[]; csrf: string }) {
  const current = exports.find((view) => view.state === 'building' || view.state === 'ready')
  return (
    <section id="data-export" aria-labelledby="data-export-heading">
      <h2 id="data-export-heading">Download all my data</h2>
      <p>
        A ZIP file with everything Laurel holds about you: one machine-readable JSON file for each part of Laurel that stores personal data, and the signed file
        and PDF certificate of each of your credentials. Large histories take a few minutes; the link works for seven days, only for you.
      </p>
      {current ? <ExportStatus view={current} /> : ''}
      <form method="post" action={exportUrls.request}>
        <CsrfField token={csrf} />
        <button type="submit" class={current ? 'secondary' : undefined}>
          {current ? 'Prepare a new download' : 'Download all my data'}
        </button>
      </form>
      {exports.length === 0 ? (
        <EmptyState>You have not downloaded your data yet.</EmptyState>
      ) : (
        <table>
          <TableHead columns={['Requested', 'State', 'Available until', '']} />
          <tbody>
            {exports.map((view) => (
              <tr>
                <td safe>{formatTime(view.createdAt)}</td>
                <td safe>{view.state === 'building' ? `${STATE_LABELS.building} (${percentOf(view)}%)` : STATE_LABELS[view.state]}</td>
                <td safe>{formatTime(view.expiresAt)}</td>
                <td class="actions">{view.state === 'ready' ? <a href={exportUrls.download(view.id)}>Download</a> : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
