import { eq } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import { InvalidError } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import { getOrg, type OrgScope, requireRole } from '../orgs/service.ts'
import { recordPolicyVersion } from './policy/versions.ts'
import { privacySettings, type SubProcessor } from './schema.ts'

export interface PrivacySettings {
  controllerName: string | null
  contactEmail: string | null
  requestDeadlineWorkingDays: number
  holidays: string[]
  childAge: number
  subProcessors: SubProcessor[]
  internationalTransfers: string
  retentionDays: Record<string, number>
}

export const DEFAULT_PRIVACY_SETTINGS: PrivacySettings = {
  controllerName: null,
  contactEmail: null,
  requestDeadlineWorkingDays: 7,
  holidays: [],
  childAge: 13,
  subProcessors: [],
  internationalTransfers: '',
  retentionDays: {},
}

export const DEADLINE_BOUNDS = { min: 1, max: 30 }
export const CHILD_AGE_BOUNDS = { min: 13, max: 18 }
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/

export async function getPrivacySettings(db: Db, orgId: string): Promise<PrivacySettings> {
  const [row] = await db.select().from(privacySettings).where(eq(privacySettings.orgId, orgId))
  if (!row) return DEFAULT_PRIVACY_SETTINGS
  const { orgId: _orgId, createdAt: _createdAt, updatedAt: _updatedAt, ...settings } = row
  return settings
}

function checkSettings(settings: PrivacySettings): void {
  const errors: Record<string, string> = {}
  const { requestDeadlineWorkingDays: days, childAge } = settings
  if (!Number.isInteger(days) || days < DEADLINE_BOUNDS.min || days > DEADLINE_BOUNDS.max) {
    errors.requestDeadlineWorkingDays = `Choose between ${DEADLINE_BOUNDS.min} and ${DEADLINE_BOUNDS.max} working days.`
  }
  if (!Number.isInteger(childAge) || childAge < CHILD_AGE_BOUNDS.min || childAge > CHILD_AGE_BOUNDS.max) {
    errors.childAge = `Choose an age between ${CHILD_AGE_BOUNDS.min} and ${CHILD_AGE_BOUNDS.max}.`
  }
  const badHoliday = settings.holidays.find((day) => !ISO_DATE.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)))
  if (badHoliday !== undefined) errors.holidays = `“${badHoliday}” is not a date; write each holiday as YYYY-MM-DD.`
  if (Object.keys(errors).length > 0) throw new InvalidError('invalid_privacy_settings', 'Some privacy settings need fixing.', errors)
}

/** Saves the org's privacy settings (admins), audited with the names of the fields that changed. */
export async function savePrivacySettings(platform: Platform, scope: OrgScope, input: PrivacySettings): Promise<PrivacySettings> {
  requireRole(scope, 'admin')
  checkSettings(input)
  const before = await getPrivacySettings(platform.db, scope.orgId)
  const changed = (Object.keys(input) as (keyof PrivacySettings)[]).filter((key) => JSON.stringify(input[key]) !== JSON.stringify(before[key]))
  await platform.db.transaction(async (tx) => {
    await tx
      .insert(privacySettings)
      .values({ orgId: scope.orgId, ...input })
      .onConflictDoUpdate({ target: privacySettings.orgId, set: input })
    await platform.audit.recordIn(tx, { action: 'privacy.settings_changed', orgId: scope.orgId, actorAccountId: scope.accountId, data: { changed } })
  })
  await recordPolicyVersion(platform, await getOrg(platform.db, scope))
  return input
}
