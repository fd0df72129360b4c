import { ConflictError } from '../../../platform/errors.ts'
import type { RequestStatus } from './schema.ts'

/**
 * Every move a request may make. A public request waits in identity_pending until its emailed link
 * (or staff) confirms who asked, then is received; staff start it, send it for approval, and an
 * admin completes or refuses it. Completed, refused and expired are final.
 */
export const TRANSITIONS: Record<RequestStatus, readonly RequestStatus[]> = {
  received: ['identity_pending', 'in_progress', 'refused'],
  identity_pending: ['received', 'refused', 'expired'],
  in_progress: ['awaiting_approval', 'refused'],
  awaiting_approval: ['completed', 'in_progress', 'refused'],
  completed: [],
  refused: [],
  expired: [],
}

/** Requests in these states are being handled: they count against their deadline. */
export const OPEN_STATUSES: readonly RequestStatus[] = ['received', 'in_progress', 'awaiting_approval']

export const STATUS_LABELS: Record<RequestStatus, string> = {
  received: 'Received',
  identity_pending: 'Identity pending',
  in_progress: 'In progress',
  awaiting_approval: 'Awaiting approval',
  completed: 'Completed',
  refused: 'Refused',
  expired: 'Expired',
}

export function checkTransition(from: RequestStatus, to: RequestStatus): void {
  if (!TRANSITIONS[from].includes(to)) {
    const allowed = TRANSITIONS[from].map((status) => STATUS_LABELS[status].toLowerCase())
    throw new ConflictError(
      'transition_not_allowed',
      `A request that is ${STATUS_LABELS[from].toLowerCase()} cannot become ${STATUS_LABELS[to].toLowerCase()}${allowed.length > 0 ? ` (it can become: ${allowed.join(', ')})` : ' (it is closed)'}.`,
    )
  }
}
