import { createHash } from 'node:crypto'
import { and, asc, desc, eq, gt, sql } from 'drizzle-orm'
import { Type } from 'typebox'
import type { Db } from '../../../platform/db/client.ts'
import { NotFoundError } from '../../../platform/errors.ts'
import { defineJob, type JobRunContext } from '../../../platform/jobs/jobs.ts'
import type { Platform } from '../../../platform/platform.ts'
import type { PrivacyProvider } from '../../../platform/privacy/registry.ts'
import { accountDirectory, link } from '../../identity/service.ts'
import { buildPolicyModel, isMaterialChange, type PolicyModel } from './model.ts'
import { policyVersions } from './schema.ts'

export type PolicyVersion = typeof policyVersions.$inferSelect

/** The install's own policy; an organisation's policy is keyed by its org ID. */
export const PLATFORM_POLICY = 'platform'
const NOTICE_BATCH = 500

const hashOf = (model: PolicyModel) => createHash('sha256').update(JSON.stringify(model)).digest('hex')
export const policyPath = (policy: string) => (policy === PLATFORM_POLICY ? '/privacy' : `/privacy/orgs/${policy}`)

export async function latestPolicyVersion(db: Db, policy: string): Promise<PolicyVersion | undefined> {
  const [row] = await db
    .select()
    .from(policyVersions)
    .where(eq(policyVersions.policy, policy))
    .orderBy(desc(policyVersions.effectiveAt), desc(policyVersions.createdAt))
    .limit(1)
  return row
}

export async function listPolicyVersions(db: Db, policy: string): Promise<Pick<PolicyVersion, 'id' | 'effectiveAt' | 'isMaterialChange'>[]> {
  return db
    .select({ id: policyVersions.id, effectiveAt: policyVersions.effectiveAt, isMaterialChange: policyVersions.isMaterialChange })
    .from(policyVersions)
    .where(eq(policyVersions.policy, policy))
    .orderBy(desc(policyVersions.effectiveAt))
}

export async function getPolicyVersion(db: Db, policy: string, versionId: string): Promise<PolicyVersion> {
  const [row] = await db
    .select()
    .from(policyVersions)
    .where(and(eq(policyVersions.policy, policy), eq(policyVersions.id, versionId)))
  if (!row) throw new NotFoundError('policy_version', versionId)
  return row
}

/**
 * Stores a new version of the policy when its generated content differs from the latest one; when
 * the change is in what is collected, why or for how long, a job emails everyone concerned a notice.
 * Runs when a worker starts (the code may have changed) and after an org saves its privacy settings.
 */
export async function recordPolicyVersion(
  platform: Platform,
  org: { id: string; name: string } | null,
  providers: PrivacyProvider[] = platform.privacyProviders,
): Promise<PolicyVersion | undefined> {
  const policy = org?.id ?? PLATFORM_POLICY
  const content = await buildPolicyModel(platform.db, providers, org)
  const contentHash = hashOf(content)
  return platform.db.transaction(async (tx) => {
    // Two processes starting at once must not both store the same version.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`policy:${policy}`}))`)
    const latest = await latestPolicyVersion(tx, policy)
    if (latest?.contentHash === contentHash) return undefined
    const isMaterial = latest !== undefined && isMaterialChange(latest.content, content)
    const [version] = await tx
      .insert(policyVersions)
      .values({ policy, contentHash, content, effectiveAt: platform.clock.now(), isMaterialChange: isMaterial })
      .returning()
    if (!version) throw new Error('The policy version was not stored.')
    await platform.audit.recordIn(tx, {
      action: 'privacy.policy_version_published',
      orgId: org?.id ?? null,
      target: version.id,
      data: { isMaterialChange: isMaterial },
    })
    if (isMaterial) await platform.jobs.enqueue(tx, notifyPolicyChangeJob, { versionId: version.id }, { orgId: org?.id ?? null })
    return version
  })
}

/**
 * Emails the change notice of a policy version: the install's policy to every account, an org's to its
 * members. In batches by account ID, remembering how far it got, so a retried job tells no one twice.
 */
export const notifyPolicyChangeJob = defineJob({
  name: 'privacy-center.notify-policy-change',
  title: 'Tell everyone about the privacy policy change',
  payload: Type.Object({ versionId: Type.String() }),
  async run({ services: platform, progress }: JobRunContext<Platform>, { versionId }) {
    const [version] = await platform.db.select().from(policyVersions).where(eq(policyVersions.id, versionId))
    if (!version) return
    const accounts = accountDirectory(platform.db)
    const isOrgPolicy = version.policy !== PLATFORM_POLICY
    const url = link(platform, `${policyPath(version.policy)}/versions/${version.id}`)
    let done = 0
    for (let through = version.notifiedThroughAccountId; ; ) {
      const batch = await platform.db
        .select({ id: accounts.id, email: accounts.email, name: accounts.name })
        .from(accounts)
        .where(
          and(
            through ? gt(accounts.id, through) : undefined,
            isOrgPolicy ? sql`exists (select 1 from members where members.org_id = ${version.policy} and members.account_id = ${accounts.id})` : undefined,
          ),
        )
        .orderBy(asc(accounts.id))
        .limit(NOTICE_BATCH)
      const last = batch.at(-1)
      if (!last) return
      await platform.db.transaction(async (tx) => {
        await platform.mailer.sendMany(
          tx,
          batch.map((account) => ({
            to: account.email,
            orgId: isOrgPolicy ? version.policy : null,
            subject: 'Our privacy policy has changed',
            text: [
              `Hello ${account.name},`,
              `Our privacy policy changed on ${version.effectiveAt.toISOString().slice(0, 10)}: what we collect, why, or for how long is different.`,
              `Read the new version: ${url}`,
            ].join('\n\n'),
          })),
        )
        await tx.update(policyVersions).set({ notifiedThroughAccountId: last.id }).where(eq(policyVersions.id, version.id))
      })
      through = last.id
      done += batch.length
      await progress(done, done, `${done} people told`)
    }
  },
})
