import { eq } from 'drizzle-orm'
import { InvalidError } from '../../../platform/errors.ts'
import type { Platform } from '../../../platform/platform.ts'
import { type OrgScope, requireRole } from '../../orgs/service.ts'
import { portalConnections } from '../schema.ts'
import type { PortalConnector } from './connector.ts'
import { HttpPortalConnector } from './http-connector.ts'

export type PortalConnection = typeof portalConnections.$inferSelect
export interface PortalConnectionInput {
  baseUrl: string
  requestsPerSecond: number
}

export const MAX_REQUESTS_PER_SECOND = 1000

/** The org's testing portal, or null when it has none set up. */
export async function getPortalConnection(platform: Platform, orgId: string): Promise<PortalConnection | null> {
  const [row] = await platform.db.select().from(portalConnections).where(eq(portalConnections.orgId, orgId))
  return row ?? null
}

export async function savePortalConnection(platform: Platform, scope: OrgScope, input: PortalConnectionInput): Promise<PortalConnection> {
  requireRole(scope, 'admin')
  const baseUrl = input.baseUrl.trim()
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    throw new InvalidError('invalid_portal_url', 'Enter the portal’s base URL, e.g. https://portal.example/api/v1.', { baseUrl: 'Not a URL.' })
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidError('invalid_portal_url', 'The portal URL must start with https://.', { baseUrl: 'Use https://.' })
  }
  if (url.username || url.password) {
    throw new InvalidError('invalid_portal_url', 'Do not put a username or password in the URL; Connect asks for them.', { baseUrl: 'Remove the credentials.' })
  }
  if (!Number.isInteger(input.requestsPerSecond) || input.requestsPerSecond < 1 || input.requestsPerSecond > MAX_REQUESTS_PER_SECOND) {
    throw new InvalidError('invalid_rate', `Requests per second must be a whole number from 1 to ${MAX_REQUESTS_PER_SECOND}.`, {
      requestsPerSecond: `1 to ${MAX_REQUESTS_PER_SECOND}.`,
    })
  }
  return platform.db.transaction(async (tx) => {
    const values = { orgId: scope.orgId, baseUrl: url.toString(), requestsPerSecond: input.requestsPerSecond }
    const [row] = await tx
      .insert(portalConnections)
      .values(values)
      .onConflictDoUpdate({ target: portalConnections.orgId, set: { baseUrl: values.baseUrl, requestsPerSecond: values.requestsPerSecond } })
      .returning()
    if (!row) throw new Error('The portal connection was not saved.')
    await platform.audit.recordIn(tx, { action: 'exams.portal_connection_saved', orgId: scope.orgId, actorAccountId: scope.accountId, target: scope.orgId })
    return row
  })
}

/**
 * The connector for an org's portal. Each call builds a new one with its own rate limiter, so
 * callers that send many requests (a batch run) should keep one connector for the whole run.
 */
export function connectorFor(platform: Platform, connection: PortalConnection): PortalConnector {
  return new HttpPortalConnector({ baseUrl: connection.baseUrl, requestsPerSecond: connection.requestsPerSecond, log: platform.log })
}
