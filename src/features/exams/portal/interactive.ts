import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidError } from '../../../platform/errors.ts'
import type { Platform } from '../../../platform/platform.ts'
import { dropSessionSecret, keepSessionSecret, readSessionSecret } from '../../identity/service.ts'
import { type OrgScope, requireRole } from '../../orgs/service.ts'
import { auditedPortalCall } from './actions.ts'
import { connectorFor, getPortalConnection, type PortalConnection } from './connection.ts'
import { type PortalActor, PortalAuthError, type PortalConnector } from './connector.ts'

/*
 * Interactive mode: the portal username, password and current token live only in the user's login
 * session, encrypted with the key in their cookie (identity's session secrets). Sign-out and
 * Disconnect log the token out at the portal and delete them; session expiry deletes them (the key
 * cookie is not there to read the token, which then lapses at the portal).
 */

const SECRET_PURPOSE = 'portal'
/** A token this close to its expiry is replaced before use. */
const TOKEN_MARGIN_MS = 60_000

interface HeldPortalLogin {
  orgId: string
  username: string
  password: string
  token: string
  expiresAt: string
  actor: PortalActor
}

export interface PortalCredentials {
  username: string
  password: string
}

/** A connected portal for one request: a connector and a live token. Never log or store `token` or `credentials`. */
export interface PortalAccess {
  connection: PortalConnection
  connector: PortalConnector
  actor: PortalActor
  token: string
  credentials: PortalCredentials
}

async function requireConnection(platform: Platform, orgId: string): Promise<PortalConnection> {
  const connection = await getPortalConnection(platform, orgId)
  if (!connection) throw new InvalidError('portal_not_set_up', 'This organisation has no testing portal set up yet: an admin enters its URL first.')
  return connection
}

async function hold(platform: Platform, request: FastifyRequest, reply: FastifyReply, held: HeldPortalLogin): Promise<void> {
  await keepSessionSecret(platform, request, reply, SECRET_PURPOSE, JSON.stringify(held))
}

/** Signs in at the org's portal and keeps the credentials and token in this login session only. */
export async function connectPortal(
  platform: Platform,
  request: FastifyRequest,
  reply: FastifyReply,
  scope: OrgScope,
  credentials: PortalCredentials,
): Promise<PortalActor> {
  requireRole(scope, 'staff')
  const connection = await requireConnection(platform, scope.orgId)
  const connector = connectorFor(platform, connection)
  try {
    const login = await auditedPortalCall(platform, scope, { action: 'login', target: connection.baseUrl }, () =>
      connector.login(credentials.username, credentials.password),
    )
    await hold(platform, request, reply, {
      orgId: scope.orgId,
      ...credentials,
      token: login.token,
      expiresAt: login.expiresAt.toISOString(),
      actor: login.actor,
    })
    await platform.audit.recordIn(platform.db, {
      action: 'exams.portal_connected',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: connection.baseUrl,
    })
    return login.actor
  } catch (error) {
    if (error instanceof PortalAuthError) {
      throw new InvalidError('portal_sign_in_failed', 'The portal did not accept that username and password.', { password: 'Check the username and password.' })
    }
    throw error
  }
}

const isTokenRefused = (error: unknown) => error instanceof PortalAuthError && (error.code === 'token_expired' || error.code === 'token_invalid')

/** Signs in again with the held credentials and keeps the new token; a refused password drops what is held. */
async function signInAgain(platform: Platform, request: FastifyRequest, reply: FastifyReply, held: HeldPortalLogin, connector: PortalConnector) {
  try {
    const login = await connector.login(held.username, held.password)
    await hold(platform, request, reply, { ...held, token: login.token, expiresAt: login.expiresAt.toISOString(), actor: login.actor })
    return login
  } catch (error) {
    if (!(error instanceof PortalAuthError)) throw error
    await dropSessionSecret(platform, request, reply, SECRET_PURPOSE)
    await platform.audit.recordIn(platform.db, {
      action: 'exams.portal_error',
      orgId: held.orgId,
      actorAccountId: request.auth?.accountId ?? null,
      target: held.orgId,
      data: { action: 'login', code: error.code, status: error.status },
    })
    throw new InvalidError('portal_sign_in_failed', 'The portal no longer accepts the username and password you connected with; connect again.')
  }
}

async function readHeld(platform: Platform, request: FastifyRequest, scope: OrgScope): Promise<HeldPortalLogin | null> {
  const secret = await readSessionSecret(platform, request, SECRET_PURPOSE)
  if (!secret) return null
  const held = JSON.parse(secret) as HeldPortalLogin
  return held.orgId === scope.orgId ? held : null
}

/** The portal this login session is connected to for the org, with a fresh token; null when not connected. */
export async function openPortal(platform: Platform, request: FastifyRequest, reply: FastifyReply, scope: OrgScope): Promise<PortalAccess | null> {
  const held = await readHeld(platform, request, scope)
  if (!held) return null
  const connection = await requireConnection(platform, scope.orgId)
  const connector = connectorFor(platform, connection)
  const credentials = { username: held.username, password: held.password }
  if (new Date(held.expiresAt).getTime() - TOKEN_MARGIN_MS <= platform.clock.now().getTime()) {
    const login = await signInAgain(platform, request, reply, held, connector)
    return { connection, connector, actor: login.actor, token: login.token, credentials }
  }
  return { connection, connector, actor: held.actor, token: held.token, credentials }
}

/** Whether this login session holds a portal connection for the org (no portal request is made). */
export async function isPortalConnected(platform: Platform, request: FastifyRequest, scope: OrgScope): Promise<boolean> {
  return (await readHeld(platform, request, scope)) !== null
}

/**
 * Runs `work` with the connected portal. When the portal refuses the token (expired early, or ended
 * at the portal), signs in once more with the held credentials and runs `work` again.
 */
export async function withPortal<T>(
  platform: Platform,
  request: FastifyRequest,
  reply: FastifyReply,
  scope: OrgScope,
  work: (access: PortalAccess) => Promise<T>,
): Promise<T> {
  const access = await openPortal(platform, request, reply, scope)
  if (!access) throw new InvalidError('portal_not_connected', 'Connect the testing portal first.')
  try {
    return await work(access)
  } catch (error) {
    const held = isTokenRefused(error) ? await readHeld(platform, request, scope) : null
    if (!held) throw error
    const login = await signInAgain(platform, request, reply, held, access.connector)
    return work({ ...access, actor: login.actor, token: login.token })
  }
}

/** Logs the held token out at the portal (best effort) and deletes both halves of the secret; also the exams feature's `onSignOut`. */
export async function releasePortal(platform: Platform, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const secret = await readSessionSecret(platform, request, SECRET_PURPOSE)
  if (secret) {
    const held = JSON.parse(secret) as HeldPortalLogin
    const connection = await getPortalConnection(platform, held.orgId)
    if (connection) {
      await connectorFor(platform, connection)
        .logout(held.token)
        .catch((error: unknown) => platform.log.warn({ code: error instanceof PortalAuthError ? error.code : 'portal_error' }, 'portal logout failed'))
    }
  }
  await dropSessionSecret(platform, request, reply, SECRET_PURPOSE)
}

export async function disconnectPortal(platform: Platform, request: FastifyRequest, reply: FastifyReply, scope: OrgScope): Promise<void> {
  await releasePortal(platform, request, reply)
  await platform.audit.recordIn(platform.db, { action: 'exams.portal_disconnected', orgId: scope.orgId, actorAccountId: scope.accountId, target: scope.orgId })
}
