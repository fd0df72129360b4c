import type { ConsentPurpose } from './schema.ts'

/**
 * What the person is shown when asked for consent. Change the text only together with a new version:
 * each consent record keeps the version the person agreed to.
 */
export const CONSENT_WORDING: Record<ConsentPurpose, { version: string; label: string }> = {
  marketing: {
    version: 'marketing-2026-12',
    label: 'Email me news and offers about courses, exams and certifications. I can withdraw this at any time, in one click from any such email.',
  },
  credential_emails: {
    version: 'credential-emails-2026-12',
    label: 'Emails from an organisation when it issues me a credential.',
  },
}

export const PURPOSE_NAMES: Record<ConsentPurpose, string> = {
  marketing: 'News and offers (marketing email)',
  credential_emails: 'Emails about credentials issued to me',
}
