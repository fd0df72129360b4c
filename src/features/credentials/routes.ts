import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { InvalidError, NotFoundError, UnauthorizedError } from '../../platform/errors.ts'
import type { TypedApp } from '../../platform/feature.ts'
import { API_RATE_LIMIT } from '../../platform/http/server.tsx'
import { type OrgScope, resolveOrgScope, scopeOf } from '../orgs/service.ts'
import { recordCredentialAccess, recordVerification } from './analytics/analytics.ts'
import {
  CredentialParams,
  CredentialSummary,
  CredentialsQuery,
  ErasurePolicyForm,
  IssueApiBody,
  IssuerSettingsForm,
  PublicCredentialParams,
  ReissueApiBody,
  RevokeForm,
  VcApiIssueBody,
  VcApiVerifyCredentialBody,
  VcApiVerifyPresentationBody,
  VerificationResponse,
  VerifyApiBody,
} from './contract.ts'
import { credentialDetails } from './credential-details.ts'
import { signedCredentialFile } from './holder.ts'
import { credentialFromFile } from './images/baking.ts'
import type { CredentialRow } from './issuance/issuance.ts'
import { didDocumentOf, getIssuerSettings, setIssuerSettings } from './issuance/issuer.ts'
import { reissueCredential } from './issuance/lineage.ts'
import { disclosedFields, publishedFields, SIGNED_FILE_ERASED, setErasurePolicy, signedFileAccess } from './public/disclosure.ts'
import { type VerificationReport, verifyById, verifyDocument, verifyPresentationDocument } from './public/verification.ts'
import { findPublicCredential, getCredential, listCredentials, statusOf } from './queries.ts'
import type { DisclosableField } from './schema.ts'
import { issueCredential, reinstateCredential, revokeCredential, suspendCredential } from './service.ts'
import { publishedStatusList, type SerializedDocument, serializeDocument } from './status.ts'
import { publicUrls } from './urls.ts'
import { issueFromDocument, signOptionsFor, validateCredentialForIssuance } from './vc-api/vc-api.ts'

const tags = ['Credentials']
const config = { rateLimit: API_RATE_LIMIT }
export const PUBLIC_RATE_LIMIT = { rateLimit: { max: 1200, timeWindow: '1 minute' } }
/** Route config of a credential's public pages and files, which promise to store no visitor's IP address. */
export const KEEPS_NO_VISITOR_ADDRESS = { keepsNoVisitorAddress: true }

const PRIVATE_FIELDS_NOTE = 'The holder keeps some details of this credential private. Ask them for the signed file, or verify it by ID.'

/**
 * What a credential's public JSON says when the holder or the org hides fields, or when the holder was
 * erased: no signed file, nothing hidden.
 */
function publicView(credential: CredentialRow, achievementName: string | null, shown: Set<DisclosableField>, now: Date) {
  const { result, evidence } = credentialDetails(credential.document)
  return {
    id: credential.id,
    achievement: achievementName,
    issuer: credential.document.issuer ?? null,
    status: statusOf(credential, now),
    ...(shown.has('holderName') ? { holderName: credential.recipientName } : {}),
    ...(shown.has('issueDate') ? { validFrom: credential.validFrom.toISOString() } : {}),
    ...(shown.has('expiry') ? { validUntil: credential.validUntil?.toISOString() ?? null } : {}),
    ...(shown.has('result') && result ? { result } : {}),
    ...(shown.has('evidence') && evidence.length > 0 ? { evidence } : {}),
    note: credential.erasedAt ? SIGNED_FILE_ERASED : PRIVATE_FIELDS_NOTE,
  }
}

const optionalDate = (value: string | undefined) => (value ? new Date(value) : undefined)

function reportBody(report: VerificationReport) {
  return { verdict: report.verdict, isValid: report.verdict === 'valid', checks: report.checks }
}

export async function credentialRoutes(app: TypedApp): Promise<void> {
  const { platform } = app
  const urls = publicUrls(platform.config)
  const summary = (row: CredentialRow) => ({
    id: row.id,
    url: urls.credential(row.id),
    status: statusOf(row, platform.clock.now()),
    recipientName: row.recipientName,
    achievementId: row.achievementId,
    validFrom: row.validFrom.toISOString(),
    validUntil: row.validUntil?.toISOString() ?? null,
    locale: row.locale,
    verifiableCredential: row.document,
  })

  app.post(
    '/api/v1/orgs/:orgId/credentials',
    {
      config,
      schema: {
        tags,
        summary: 'Issue an Open Badges 3.0 credential from an achievement',
        params: Type.Object({ orgId: Type.String() }),
        body: IssueApiBody,
        response: { 200: CredentialSummary, 201: CredentialSummary },
      },
    },
    async (request, reply) => {
      const { body } = request
      const scope = scopeOf(request)
      const { credential, isNew } = await issueCredential(platform, scope, {
        ...body,
        validFrom: optionalDate(body.validFrom),
        result: body.result && { ...body.result, takenOn: optionalDate(body.result.takenOn) },
      })
      return reply.status(isNew ? 201 : 200).send(summary(credential))
    },
  )

  app.post(
    '/api/v1/orgs/:orgId/credentials/:credentialId/reissue',
    {
      config,
      schema: {
        tags,
        summary: 'Correct a credential: issue a new one that replaces it (the old one is revoked as superseded, the holder is told)',
        params: CredentialParams,
        body: ReissueApiBody,
        response: { 201: CredentialSummary },
      },
    },
    async (request, reply) => {
      const { body } = request
      const { credentialId } = request.params
      const credential = await reissueCredential(platform, scopeOf(request), credentialId, {
        recipientName: body.recipientName,
        validFrom: optionalDate(body.validFrom),
        validUntil: body.validUntil === undefined ? undefined : (optionalDate(body.validUntil ?? undefined) ?? null),
      })
      return reply.status(201).send(summary(credential))
    },
  )

  app.get(
    '/api/v1/orgs/:orgId/credentials',
    {
      config,
      schema: {
        tags,
        summary: 'Issued credentials, newest first or ordered by `sort` (recipient, achievement, issued, expires, email) and `dir`, searchable',
        params: Type.Object({ orgId: Type.String() }),
        querystring: CredentialsQuery,
      },
    },
    async (request) => {
      const scope = scopeOf(request)
      const { query } = request
      const page = await listCredentials(
        platform.db,
        scope,
        { ...query, status: query.status || undefined, delivery: query.delivery || undefined },
        platform.clock.now(),
        query,
      )
      return { ...page, items: page.items.map((item) => ({ ...item, url: urls.credential(item.id) })) }
    },
  )

  app.get(
    '/api/v1/orgs/:orgId/credentials/:credentialId',
    { config, schema: { tags, summary: 'One issued credential', params: CredentialParams, response: { 200: CredentialSummary } } },
    async (request) => {
      const scope = scopeOf(request)
      return summary(await getCredential(platform.db, scope, request.params.credentialId))
    },
  )

  const statusSchema = (action: 'revoke' | 'suspend' | 'reinstate') => ({
    tags,
    summary: `${action[0]?.toUpperCase()}${action.slice(1)} a credential`,
    params: CredentialParams,
    response: { 200: CredentialSummary },
  })
  app.post('/api/v1/orgs/:orgId/credentials/:credentialId/revoke', { config, schema: { ...statusSchema('revoke'), body: RevokeForm } }, async (request) =>
    summary(await revokeCredential(platform, scopeOf(request), request.params.credentialId, request.body.reason)),
  )
  const statusRoute = (action: 'suspend' | 'reinstate', change: (scope: OrgScope, credentialId: string) => Promise<CredentialRow>) =>
    app.post(`/api/v1/orgs/:orgId/credentials/:credentialId/${action}`, { config, schema: statusSchema(action) }, async (request) =>
      summary(await change(scopeOf(request), request.params.credentialId)),
    )
  statusRoute('suspend', (scope, id) => suspendCredential(platform, scope, id))
  statusRoute('reinstate', (scope, id) => reinstateCredential(platform, scope, id))

  app.put(
    '/api/v1/orgs/:orgId/credentials/erasure-policy',
    {
      config,
      schema: {
        tags,
        summary: 'Choose what erasing a holder does: keep a verification record (keep_record, the default) or withdraw the credential (revoke)',
        params: Type.Object({ orgId: Type.String() }),
        body: ErasurePolicyForm,
        response: { 200: ErasurePolicyForm },
      },
    },
    async (request) => {
      await setErasurePolicy(platform, scopeOf(request), request.body.erasurePolicy)
      return { erasurePolicy: request.body.erasurePolicy }
    },
  )

  const issuerSettingsSchema = (summary: string) => ({ tags, summary, params: Type.Object({ orgId: Type.String() }), response: { 200: IssuerSettingsForm } })
  app.get(
    '/api/v1/orgs/:orgId/credentials/issuer-settings',
    { config, schema: issuerSettingsSchema('How the org signs: its DID method and default signature suite') },
    async (request) => getIssuerSettings(platform, scopeOf(request).orgId),
  )
  app.put(
    '/api/v1/orgs/:orgId/credentials/issuer-settings',
    {
      config,
      schema: {
        ...issuerSettingsSchema('Choose the DID method (web or key) and the default suite (ecdsa-rdfc-2019 needs web); admins only'),
        body: IssuerSettingsForm,
      },
    },
    async (request) => setIssuerSettings(platform, scopeOf(request), request.body),
  )

  // Public documents: credentials, status lists, DID documents.
  app.get(
    '/credentials/:credentialId.json',
    { config: { ...PUBLIC_RATE_LIMIT, ...KEEPS_NO_VISITOR_ADDRESS }, schema: { params: PublicCredentialParams, hide: true } },
    async (request, reply) => {
      const found = await findPublicCredential(platform.db, request.params.credentialId)
      if (!found) throw new NotFoundError('credential')
      const { credential } = found
      const shown = disclosedFields(publishedFields(found.orgPublicFields), credential)
      const view = () => publicView(credential, found.achievement?.name ?? null, shown, platform.clock.now())
      if (!credential.isIndexable) reply.header('x-robots-tag', 'noindex')
      if (credential.erasedAt) return reply.type('application/json; charset=utf-8').send(view())
      const access = await signedFileAccess(platform, request.auth, found)
      if (access !== 'public') reply.header('cache-control', 'private, no-store').header('vary', 'cookie')
      if (access !== 'denied') {
        recordCredentialAccess(platform, request, credential, 'json_downloaded')
        const file = signedCredentialFile(credential)
        return reply.type('application/vc+ld+json; charset=utf-8').header('content-disposition', `attachment; filename="${file.fileName}"`).send(file.content)
      }
      return reply.type('application/json; charset=utf-8').send(view())
    },
  )

  app.get(
    '/status-lists/:statusListId',
    { config: PUBLIC_RATE_LIMIT, schema: { params: Type.Object({ statusListId: Type.String({ maxLength: 64 }) }), hide: true } },
    async (request, reply) => {
      const published = await publishedStatusList(platform, request.params.statusListId)
      if (!published) throw new NotFoundError('status_list')
      return sendCacheable(reply, published, 'application/vc+ld+json; charset=utf-8')
    },
  )

  app.get(
    '/issuers/:issuerOrgId/did.json',
    { config: PUBLIC_RATE_LIMIT, schema: { params: Type.Object({ issuerOrgId: Type.String({ maxLength: 64 }) }), hide: true } },
    async (request, reply) => {
      const document = await didDocumentOf(platform, request.params.issuerOrgId)
      if (!document) throw new NotFoundError('did_document')
      return sendCacheable(reply, serializeDocument(document), 'application/did+json; charset=utf-8')
    },
  )

  app.post(
    '/api/v1/verify',
    {
      config: PUBLIC_RATE_LIMIT,
      // Room for a base64 baked badge (MAX_CREDENTIAL_FILE_BYTES, a third larger) and the JSON around it.
      bodyLimit: 3 * 1024 * 1024,
      schema: {
        tags: ['Verification'],
        summary: 'Verify a credential by ID, URL, whole document, or file (JSON or baked badge image); no key needed',
        body: VerifyApiBody,
        response: { 200: VerificationResponse },
      },
    },
    async (request) => {
      const { body } = request
      const document = body.credential ?? (body.file ? credentialFromFile(Buffer.from(body.file, 'base64')).document : undefined)
      if (document) {
        const report = await verifyDocument(platform, document)
        recordVerification(platform, request, 'api', { document }, report)
        return reportBody(report)
      }
      if (!body.id) {
        throw new InvalidError(
          'nothing_to_verify',
          'Send "id" (a credential ID or URL), "credential" (the whole document) or "file" (a credential file or baked badge, in base64).',
        )
      }
      const result = await verifyById(platform, body.id)
      if (!result) throw new NotFoundError('credential', body.id)
      recordVerification(platform, request, 'api', { credential: result.credential }, result.report)
      return reportBody(result.report)
    },
  )

  // W3C VC-API endpoints, at the paths conformance suites expect.
  app.post(
    '/credentials/issue',
    {
      config,
      schema: {
        tags: ['VC-API'],
        summary: 'Sign a credential as the API key’s organisation (VC-API)',
        description:
          'The credential must meet the VC Data Model rules (2.0, or 1.1): a 400 problem+json names the rule broken (`code`, and `type` MALFORMED_VALUE_ERROR) and where, as a JSON pointer (`errors[].field`). ' +
          'Laurel adds an `id` (the credential’s public URL) when there is none and, to VC 2.0 credentials, a revocation and a suspension `BitstringStatusListEntry` after the caller’s own `credentialStatus` entries, which are kept as sent. ' +
          'A `relatedResource` digest of content Laurel holds (bundled JSON-LD contexts, the organisation’s achievement images) must match it. ' +
          '`options.cryptosuite` chooses the Data Integrity cryptosuite: eddsa-rdfc-2022 (default) or eddsa-jcs-2022.',
        body: VcApiIssueBody,
      },
    },
    async (request, reply) => {
      const auth = request.auth
      if (!auth?.apiKey) throw new UnauthorizedError('api_key_required', 'Send an API key with write access as a Bearer token.')
      const scope = await resolveOrgScope(platform.db, { orgId: auth.apiKey.orgId, accountId: auth.accountId, isPlatformAdmin: false })
      const credential = await validateCredentialForIssuance(platform, request.body.credential)
      const options = signOptionsFor(request.body.options)
      return reply.status(201).send({ verifiableCredential: await issueFromDocument(platform, scope, credential, options) })
    },
  )

  app.post(
    '/credentials/verify',
    { config: PUBLIC_RATE_LIMIT, schema: { tags: ['VC-API'], summary: 'Verify a credential (VC-API)', body: VcApiVerifyCredentialBody } },
    async (request, reply) => {
      const document = request.body.verifiableCredential
      const report = await verifyDocument(platform, document)
      recordVerification(platform, request, 'vc-api', { document }, report)
      const isValid = report.verdict === 'valid'
      return reply.status(isValid ? 200 : 400).send({
        verified: isValid,
        checks: report.checks.filter((check) => check.ok).map((check) => check.name),
        warnings: [],
        errors: report.checks.filter((check) => !check.ok).map((check) => `${check.name}: ${check.detail}`),
        verdict: report.verdict,
      })
    },
  )

  app.post(
    '/presentations/verify',
    {
      config: PUBLIC_RATE_LIMIT,
      schema: { tags: ['VC-API'], summary: 'Verify a presentation with its challenge and domain (VC-API)', body: VcApiVerifyPresentationBody },
    },
    async (request, reply) => {
      const { body } = request
      const result = await verifyPresentationDocument(platform, body.verifiablePresentation, body.options ?? {})
      const presented = (body.verifiablePresentation as { verifiableCredential?: unknown } | null)?.verifiableCredential
      const documents = Array.isArray(presented) ? presented : [presented]
      result.credentials.forEach((report, index) => {
        recordVerification(platform, request, 'vc-api', { document: documents[index] }, report)
      })
      return reply.status(result.ok ? 200 : 400).send({ verified: result.ok, checks: result.ok ? ['proof'] : [], warnings: [], errors: result.problems })
    },
  )
}

/** No-cache plus an ETag: verifiers revalidate each time (a revocation shows at once) and get 304 when nothing changed. */
function sendCacheable(reply: FastifyReply, { body, etag }: SerializedDocument, type: string) {
  if (reply.request.headers['if-none-match'] === etag) return reply.status(304).header('etag', etag).send()
  return reply.type(type).header('cache-control', 'public, no-cache').header('etag', etag).header('access-control-allow-origin', '*').send(body)
}
