import type { CredentialStatus } from './queries.ts'

const LABELS = {
  valid: 'Valid',
  revoked: 'Revoked',
  suspended: 'Suspended',
  expired: 'Expired',
  not_yet_valid: 'Not yet valid',
} as const satisfies Record<CredentialStatus, string>

export function StatusBadge({ status }: { status: CredentialStatus }) {
  return (
    <span class={`badge status status-${status}`} data-status={status}>
      {LABELS[status]}
    </span>
  )
}
