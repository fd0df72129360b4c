/** The wire format and rules of the testing-portal protocol (docs/portal-protocol.md), shared by the HTTP connector and the simulator. */
import type { PortalRule, PortalSession } from './connector.ts'

const HOUR_MS = 60 * 60 * 1000
const DAY_MS = 24 * HOUR_MS

export const PORTAL_RULES: readonly PortalRule[] = [
  {
    id: 'create_min_lead_time',
    description: 'A session is created at least 1 hour before it starts.',
    check: (action, session, now) =>
      action === 'create' && session.startsAt.getTime() - now.getTime() < HOUR_MS ? 'The session starts in less than 1 hour.' : null,
  },
  {
    id: 'create_max_horizon',
    description: 'A session is created at most 30 days before it starts.',
    check: (action, session, now) =>
      action === 'create' && session.startsAt.getTime() - now.getTime() > 30 * DAY_MS ? 'The session starts more than 30 days from now.' : null,
  },
  {
    id: 'confirm_window',
    description: 'A session is confirmed within the 24 hours before it starts.',
    check: (action, session, now) => {
      if (action !== 'confirm') return null
      const untilStart = session.startsAt.getTime() - now.getTime()
      if (untilStart > DAY_MS) return 'The session starts in more than 24 hours; confirm it within the 24 hours before the start.'
      if (untilStart <= 0) return 'The session has already started.'
      return null
    },
  },
  {
    id: 'confirm_by_proctor',
    description: "Only the session's proctor confirms it.",
    check: (action, session, _now, actor) =>
      action === 'confirm' && actor.proctorId !== session.proctorId ? "Only the session's proctor may confirm it." : null,
  },
  {
    id: 'cancel_min_lead_time',
    description: 'A session is cancelled at least 1 hour before it starts.',
    check: (action, session, now) =>
      action === 'cancel' && session.startsAt.getTime() - now.getTime() < HOUR_MS
        ? 'The session starts in less than 1 hour; it can no longer be cancelled.'
        : null,
  },
]

export interface SessionJson {
  id: string
  examCode: string
  centreCode: string
  proctorId: string
  startsAt: string
  endsAt: string
  seats: number
  status: PortalSession['status']
  cancelReason: string | null
  createdAt: string
  updatedAt: string
}

/** An RFC 9457 problem with the protocol's extension members. */
export interface ProblemJson {
  type: string
  title: string
  status: number
  detail: string
  code: string
  rule?: string
  errors?: { field: string; message: string }[]
}

export function sessionToJson(session: PortalSession): SessionJson {
  return {
    ...session,
    startsAt: session.startsAt.toISOString(),
    endsAt: session.endsAt.toISOString(),
    createdAt: session.createdAt.toISOString(),
    updatedAt: session.updatedAt.toISOString(),
  }
}

export function sessionFromJson(json: SessionJson): PortalSession {
  return {
    ...json,
    startsAt: new Date(json.startsAt),
    endsAt: new Date(json.endsAt),
    createdAt: new Date(json.createdAt),
    updatedAt: new Date(json.updatedAt),
  }
}
