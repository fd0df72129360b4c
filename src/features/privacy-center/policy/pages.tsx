import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import type { TypedApp } from '../../../platform/feature.ts'
import { requirePlatformAdmin } from '../../../platform/http/auth.ts'
import { EmptyState, TableHead } from '../../../platform/ui/components.tsx'
import { getOrg, getPublicOrg, listAllOrgs, requireRole, scopeOf } from '../../orgs/service.ts'
import { buildPolicyModel, type PolicyModel } from './model.ts'
import { getPolicyVersion, listPolicyVersions, PLATFORM_POLICY, type PolicyVersion, policyPath } from './versions.ts'

const PolicyOrgParams = Type.Object({ policyOrgId: Type.String({ maxLength: 64 }) })
const VersionParams = Type.Object({ versionId: Type.String({ maxLength: 64 }) })
const OrgVersionParams = Type.Object({ policyOrgId: Type.String({ maxLength: 64 }), versionId: Type.String({ maxLength: 64 }) })
const OrgParams = Type.Object({ orgId: Type.String({ maxLength: 64 }) })

const day = (date: Date) => date.toISOString().slice(0, 10)

/** The policy's words, all from the model: the providers' declarations and the org's settings. */
function PolicyBody({ model, policy }: { model: PolicyModel; policy: string }) {
  return (
    <>
      <section>
        <h2>Who is responsible for your data</h2>
        <p>
          The controller: <strong safe>{model.controller.name}</strong>.
          {model.controller.contactEmail ? (
            <>
              {' '}
              Privacy contact:{' '}
              <a href={`mailto:${model.controller.contactEmail}`} safe>
                {model.controller.contactEmail}
              </a>
              .
            </>
          ) : (
            ''
          )}
        </p>
      </section>
      <section>
        <h2>What we collect and why</h2>
        <table id="collected">
          <TableHead columns={['Data', 'What it holds', 'Why', 'Legal basis']} />
          <tbody>
            {model.processing.map((item) => (
              <tr>
                <td safe>{item.title}</td>
                <td safe>{item.columns}</td>
                <td safe>{item.purpose}</td>
                <td safe>{item.legalBasis}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>How long we keep it</h2>
        <table id="retention">
          <TableHead columns={['Data', 'How long', 'Applied automatically']} />
          <tbody>
            {model.processing.map((item) => (
              <tr data-table={item.table}>
                <td safe>{item.title}</td>
                <td safe>{item.retention}</td>
                <td>
                  {item.rules.length === 0 ? (
                    '—'
                  ) : (
                    <ul>
                      {item.rules.map((rule) => (
                        <li data-rule={rule.key} safe>
                          {rule.sentence}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>Who else processes it</h2>
        {model.subProcessors.length === 0 ? (
          <p>No sub-processor: nobody else processes your data for us.</p>
        ) : (
          <table>
            <TableHead columns={['Sub-processor', 'Purpose', 'Where']} />
            <tbody>
              {model.subProcessors.map((processor) => (
                <tr>
                  <td safe>{processor.name}</td>
                  <td safe>{processor.purpose}</td>
                  <td safe>{processor.location}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h3>International transfers</h3>
        <p safe>{model.internationalTransfers || 'Your data is not transferred outside the country where it is held.'}</p>
      </section>
      <section>
        <h2>Cookies</h2>
        <p>Only cookies the service needs to work; none for advertising or tracking, so we ask no consent for them.</p>
        <ul>
          {model.cookies.map((cookie) => (
            <li>
              <code safe>{cookie.name}</code>: <span safe>{cookie.purpose}</span>
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h2>Your rights and how to use them</h2>
        <ul>
          <li>
            See, download, correct or erase your data, restrict or object to its processing, and withdraw consent: on <a href="/account/privacy">My privacy</a>{' '}
            when signed in.
          </li>
          <li>
            Without an account (for example, you received a credential by email): use the <a href="/privacy/request">privacy request form</a>; we confirm your
            address by email before acting.
          </li>
          <li>
            See who opened or changed your account and from where: your <a href="/account/privacy/access-log">access log</a>.
          </li>
          <li>You may also complain to your data-protection authority.</li>
        </ul>
      </section>
      <p>
        <a href={`${policyPath(policy)}/versions`}>Earlier versions of this policy</a>
      </p>
    </>
  )
}

/** On the install's policy: each organisation's own, naming it as the controller of what it holds. */
function OrgPolicies({ orgs }: { orgs: { id: string; name: string }[] }) {
  if (orgs.length === 0) return ''
  return (
    <section>
      <h2>Each organisation's policy</h2>
      <p>Each organisation on this service controls the data it holds about you; its own policy names its contact and choices.</p>
      <ul>
        {orgs.map((org) => (
          <li>
            <a href={policyPath(org.id)} safe>
              {org.name}
            </a>
          </li>
        ))}
      </ul>
    </section>
  )
}

/** The record of processing activities: per provider and table, what, why, on what basis, how long, and who else. */
function RecordsBody({ model }: { model: PolicyModel }) {
  return (
    <table>
      <TableHead columns={['Provider', 'Table', 'Categories of data', 'Purpose', 'Legal basis', 'Retention', 'Recipients']} />
      <tbody>
        {model.processing.map((item) => (
          <tr>
            <td safe>{item.provider}</td>
            <td>
              <code safe>{item.table}</code>
            </td>
            <td safe>{item.columns}</td>
            <td safe>{item.purpose}</td>
            <td safe>{item.legalBasis}</td>
            <td>
              <span safe>{item.retention}</span>
              {item.rules.map((rule) => (
                <div safe>{rule.sentence}</div>
              ))}
            </td>
            <td safe>
              {model.subProcessors.length === 0 ? 'Staff of the organisation only' : model.subProcessors.map((processor) => processor.name).join(', ')}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The generated privacy policy: the install's at /privacy, each org's at /privacy/orgs/:id; versions; the record of processing. */
export async function policyPages(app: TypedApp): Promise<void> {
  const { platform } = app

  const policyOrg = (policyOrgId: string) => getPublicOrg(platform.db, policyOrgId)

  const policyPage = async (reply: FastifyReply, org: { id: string; name: string } | null) => {
    const model = await buildPolicyModel(platform.db, platform.privacyProviders, org)
    const policy = org?.id ?? PLATFORM_POLICY
    const [current] = await listPolicyVersions(platform.db, policy)
    return reply.page(
      'Privacy policy',
      <article>
        <h1>{org ? <span safe>{`Privacy policy of ${org.name}`}</span> : 'Privacy policy'}</h1>
        <p>
          {current ? <span safe>{`In effect since ${day(current.effectiveAt)}.`}</span> : ''} This policy is generated from what the software does: each line
          comes from the code that stores and removes the data.
        </p>
        <PolicyBody model={model} policy={policy} />
        {org ? '' : <OrgPolicies orgs={await listAllOrgs(platform.db)} />}
      </article>,
    )
  }

  const versionsPage = async (reply: FastifyReply, policy: string) => {
    const versions = await listPolicyVersions(platform.db, policy)
    return reply.page(
      'Privacy policy versions',
      <article>
        <h1>Privacy policy versions</h1>
        {versions.length === 0 ? (
          <EmptyState>No version is recorded yet.</EmptyState>
        ) : (
          <ul>
            {versions.map((version) => (
              <li>
                <a href={`${policyPath(policy)}/versions/${version.id}`} safe>{`Effective ${day(version.effectiveAt)}`}</a>
                {version.isMaterialChange ? ' — changed what is collected, why or for how long' : ''}
              </li>
            ))}
          </ul>
        )}
        <p>
          <a href={policyPath(policy)}>The current policy</a>
        </p>
      </article>,
    )
  }

  const versionPage = (reply: FastifyReply, version: PolicyVersion) =>
    reply.page(
      'Privacy policy version',
      <article>
        <h1 safe>{`Privacy policy, effective ${day(version.effectiveAt)}`}</h1>
        <p>
          A version kept for the record; <a href={policyPath(version.policy)}>the current policy</a> may differ.
        </p>
        <PolicyBody model={version.content} policy={version.policy} />
      </article>,
    )

  app.get('/privacy', async (_request, reply) => policyPage(reply, null))
  app.get('/privacy/versions', async (_request, reply) => versionsPage(reply, PLATFORM_POLICY))
  app.get('/privacy/versions/:versionId', { schema: { params: VersionParams } }, async (request, reply) =>
    versionPage(reply, await getPolicyVersion(platform.db, PLATFORM_POLICY, request.params.versionId)),
  )
  app.get('/privacy/orgs/:policyOrgId', { schema: { params: PolicyOrgParams } }, async (request, reply) =>
    policyPage(reply, await policyOrg(request.params.policyOrgId)),
  )
  app.get('/privacy/orgs/:policyOrgId/versions', { schema: { params: PolicyOrgParams } }, async (request, reply) => {
    const org = await policyOrg(request.params.policyOrgId)
    return versionsPage(reply, org.id)
  })
  app.get('/privacy/orgs/:policyOrgId/versions/:versionId', { schema: { params: OrgVersionParams } }, async (request, reply) =>
    versionPage(reply, await getPolicyVersion(platform.db, request.params.policyOrgId, request.params.versionId)),
  )

  const recordsPage = async (reply: FastifyReply, org: { id: string; name: string } | null) =>
    reply.page(
      'Record of processing activities',
      <>
        <h1>Record of processing activities</h1>
        <p>{org ? <span safe>{org.name}</span> : 'This installation'}: generated from the privacy registry of the code.</p>
        <RecordsBody model={await buildPolicyModel(platform.db, platform.privacyProviders, org)} />
      </>,
    )
  app.get('/orgs/:orgId/privacy/records', { schema: { params: OrgParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const org = await getOrg(platform.db, scope)
    return recordsPage(reply, { id: org.id, name: org.name })
  })
  await app.register(async (admin: TypedApp) => {
    admin.addHook('preHandler', requirePlatformAdmin)
    admin.get('/privacy/records', async (_request, reply) => recordsPage(reply, null))
  })
}
