import { ENGLISH, type Messages } from '../../platform/i18n/messages.ts'
import type { CredentialStatus } from './queries.ts'

export function StatusBadge({ status, messages = ENGLISH }: { status: CredentialStatus; messages?: Messages }) {
  return (
    <span class={`badge status status-${status}`} data-status={status} safe>
      {messages.t(`status.${status}`)}
    </span>
  )
}
