import { Type } from 'typebox'
import { SortQueryFields } from '../../platform/db/sort.ts'
import { LocaleSchema } from '../../platform/i18n/locales.ts'
import type { MailStatus } from '../../platform/mail/schema.ts'
import { DELIVERY_STATES } from './delivery/delivery.ts'
import { MAX_CREDENTIAL_FILE_BYTES } from './images/baking.ts'
import { CREDENTIAL_STATUSES, type CredentialStatus } from './queries.ts'

const Id = (prefix: string) => Type.String({ maxLength: 64, pattern: `^${prefix}_[0-9a-z]+$` })

export const AchievementParams = Type.Object({ orgId: Type.String({ maxLength: 64 }), achievementId: Type.String({ maxLength: 64 }) })
export const CredentialParams = Type.Object({ orgId: Type.String({ maxLength: 64 }), credentialId: Type.String({ maxLength: 64 }) })
export const BulkParams = Type.Object({ orgId: Type.String({ maxLength: 64 }), bulkIssuanceId: Type.String({ maxLength: 64 }) })
export const PublicCredentialParams = Type.Object({ credentialId: Type.String({ maxLength: 64 }) })
export const PublicAchievementParams = Type.Object({ achievementId: Type.String({ maxLength: 64 }) })

export const AchievementFields = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200, errorMessage: 'Name the achievement (up to 200 characters).' }),
  description: Type.String({ minLength: 1, maxLength: 2000, errorMessage: 'Describe the achievement (up to 2,000 characters).' }),
  criteria: Type.String({ minLength: 1, maxLength: 10_000, errorMessage: 'Say what earns it (Markdown, up to 10,000 characters).' }),
  tags: Type.Optional(Type.String({ maxLength: 500, errorMessage: 'Tags: up to 500 characters, separated by commas.' })),
  alignments: Type.Optional(Type.String({ maxLength: 5000, errorMessage: 'Alignments: one per line, "Name | URL", up to 5,000 characters.' })),
  validityMonths: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 600, errorMessage: 'Validity: a whole number of months from 1 to 600, or empty for no expiry.' }),
  ),
})

export const IssueForm = Type.Object({
  achievementId: Type.String({ minLength: 1, maxLength: 64, errorMessage: 'Choose an achievement.' }),
  recipientName: Type.String({ minLength: 1, maxLength: 200, errorMessage: "Enter the recipient's name (up to 200 characters)." }),
  recipientEmail: Type.String({ format: 'email', maxLength: 254, errorMessage: 'Enter an email address like name@example.org.' }),
  validFrom: Type.Optional(Type.String({ format: 'date', errorMessage: 'Enter the issue date as YYYY-MM-DD, or leave it empty for today.' })),
  score: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000_000, errorMessage: 'The score is a number of 0 or more.' })),
  passMark: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000_000, errorMessage: 'The pass mark is a number of 0 or more.' })),
  maxScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000_000, errorMessage: 'The maximum score is a number of 0 or more.' })),
  takenOn: Type.Optional(Type.String({ format: 'date', errorMessage: 'Enter the date of the test as YYYY-MM-DD.' })),
  evidenceUrl: Type.Optional(
    Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000, errorMessage: 'Evidence link: a full web address starting with https://.' }),
  ),
  evidenceNarrative: Type.Optional(Type.String({ maxLength: 5000, errorMessage: 'Evidence description: up to 5,000 characters.' })),
  locale: Type.Optional(LocaleSchema()),
})

export const RevokeForm = Type.Object({
  reason: Type.String({ minLength: 3, maxLength: 500, errorMessage: 'Give a reason (3 to 500 characters); it is shown to verifiers.' }),
})

export const ErasurePolicyForm = Type.Object({
  erasurePolicy: Type.Union([Type.Literal('keep_record'), Type.Literal('revoke')], {
    errorMessage: 'Choose what erasing a holder does: keep_record or revoke.',
  }),
})

export const IssuerSettingsForm = Type.Object({
  didMethod: Type.Union([Type.Literal('web'), Type.Literal('key')], { errorMessage: 'Choose the DID method: web or key.' }),
  cryptosuite: Type.Union([Type.Literal('eddsa-rdfc-2022'), Type.Literal('eddsa-jcs-2022'), Type.Literal('ecdsa-rdfc-2019')], {
    errorMessage: 'Choose the signature suite: eddsa-rdfc-2022, eddsa-jcs-2022 or ecdsa-rdfc-2019.',
  }),
})

export const CredentialsQuery = Type.Object({
  search: Type.Optional(Type.String({ maxLength: 200 })),
  achievementId: Type.Optional(Type.String({ maxLength: 64 })),
  // Unsafe<…>: TypeBox types a union built from a mapped array as `never`; the schemas themselves are unchanged.
  status: Type.Optional(Type.Unsafe<CredentialStatus | ''>(Type.Union([Type.Literal(''), ...CREDENTIAL_STATUSES.map((status) => Type.Literal(status))]))),
  delivery: Type.Optional(Type.Unsafe<MailStatus | ''>(Type.Union([Type.Literal(''), ...DELIVERY_STATES.map((state) => Type.Literal(state))]))),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  ...SortQueryFields,
})

/** The most credentials one bulk action takes: a few pages of the list. */
export const MAX_BULK_SELECTION = 200

/** Credentials ticked on the list page and what to do with them; `back` is the list's query string, to return to it. */
export const BulkActionForm = Type.Object({
  action: Type.Union([Type.Literal('revoke'), Type.Literal('resend'), Type.Literal('export')], { errorMessage: 'Choose revoke, resend or export.' }),
  credentialId: Type.Array(Type.String({ maxLength: 64 }), {
    minItems: 1,
    maxItems: MAX_BULK_SELECTION,
    errorMessage: `Tick at least one credential (at most ${MAX_BULK_SELECTION}).`,
  }),
  back: Type.Optional(Type.String({ maxLength: 2000 })),
})

export const BulkRevokeForm = Type.Object({
  credentialId: BulkActionForm.properties.credentialId,
  reason: RevokeForm.properties.reason,
  back: BulkActionForm.properties.back,
})

export const AchievementsQuery = Type.Object({
  search: Type.Optional(Type.String({ maxLength: 200 })),
  tag: Type.Optional(Type.String({ maxLength: 100 })),
  archived: Type.Optional(Type.Union([Type.Literal(''), Type.Literal('1')])),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  ...SortQueryFields,
})

const ResultBody = Type.Object(
  {
    score: Type.Number({ minimum: 0, maximum: 1_000_000 }),
    passMark: Type.Number({ minimum: 0, maximum: 1_000_000 }),
    maxScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000_000 })),
    takenOn: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { description: 'A test or exam result; it goes into the credential as Open Badges 3.0 result data.' },
)

const EvidenceBody = Type.Object({
  url: Type.Optional(Type.String({ format: 'uri', maxLength: 2000, pattern: '^https?://' })),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  narrative: Type.Optional(Type.String({ minLength: 1, maxLength: 5000 })),
})

export const IssueApiBody = Type.Object({
  achievementId: Id('ach'),
  recipientName: Type.String({ minLength: 1, maxLength: 200 }),
  recipientEmail: Type.String({ format: 'email', maxLength: 254 }),
  validFrom: Type.Optional(Type.String({ format: 'date-time' })),
  result: Type.Optional(ResultBody),
  evidence: Type.Optional(Type.Array(EvidenceBody, { maxItems: 10 })),
  idempotencyKey: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'Repeat a request with the same key to get the same credential back.' }),
  ),
  locale: Type.Optional(
    LocaleSchema({ description: 'The language of its public page, PDF certificate and email; the organisation’s default language when left out.' }),
  ),
})

export const ReissueApiBody = Type.Object({
  recipientName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  validFrom: Type.Optional(Type.String({ format: 'date-time' })),
  validUntil: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null: no expiry' })),
})

export const ReissueForm = Type.Object({
  recipientName: Type.String({ minLength: 1, maxLength: 200, errorMessage: "Enter the recipient's name (up to 200 characters)." }),
  validFrom: Type.String({ format: 'date', errorMessage: 'Enter the issue date as YYYY-MM-DD.' }),
  validUntil: Type.Optional(Type.String({ format: 'date', errorMessage: 'Enter the expiry date as YYYY-MM-DD, or leave it empty for no expiry.' })),
})

export const CredentialSummary = Type.Object({
  id: Type.String({ examples: ['cred_01jc5d8y4k9q2t8v1n3m6p7r2s'] }),
  url: Type.String(),
  status: Type.String(),
  recipientName: Type.String(),
  achievementId: Type.Union([Type.String(), Type.Null()]),
  validFrom: Type.String({ format: 'date-time' }),
  validUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  locale: Type.String({ description: 'The language of its public page, PDF certificate and email.' }),
  verifiableCredential: Type.Record(Type.String(), Type.Unknown()),
})

export const VerificationCheck = Type.Object({ name: Type.String(), ok: Type.Boolean(), detail: Type.String() })
export const VerificationResponse = Type.Object({
  verdict: Type.String({
    description:
      'valid, revoked, suspended, expired, not_yet_valid, invalid_signature (the signature does not match), key_unavailable (the signing key could not be retrieved), issuer_mismatch (not signed with a key of its issuer), status_unknown or malformed',
  }),
  isValid: Type.Boolean(),
  checks: Type.Array(VerificationCheck),
})
export const VerifyApiBody = Type.Object({
  id: Type.Optional(Type.String({ maxLength: 500, description: 'A credential ID or its public URL' })),
  credential: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'A whole verifiable credential' })),
  file: Type.Optional(
    Type.String({
      contentEncoding: 'base64',
      maxLength: Math.ceil(MAX_CREDENTIAL_FILE_BYTES / 3) * 4,
      description: 'A credential file in base64: the JSON, or a baked PNG or SVG badge image',
    }),
  ),
})

export const VcApiIssueBody = Type.Object({ credential: Type.Unknown(), options: Type.Optional(Type.Record(Type.String(), Type.Unknown())) })
export const VcApiVerifyCredentialBody = Type.Object({
  verifiableCredential: Type.Unknown(),
  options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
})
export const VcApiVerifyPresentationBody = Type.Object({
  verifiablePresentation: Type.Unknown(),
  options: Type.Optional(Type.Object({ challenge: Type.Optional(Type.String()), domain: Type.Optional(Type.String()) }, { additionalProperties: true })),
})

export const EmailSettingsForm = Type.Object({
  emailSubject: Type.String({ minLength: 1, maxLength: 200, errorMessage: 'Write a subject (up to 200 characters).' }),
  emailBody: Type.String({ minLength: 1, maxLength: 10_000, errorMessage: 'Write the message (up to 10,000 characters).' }),
  isPdfAttached: Type.Optional(Type.Literal('on')),
  action: Type.Optional(Type.Union([Type.Literal('preview'), Type.Literal('save')])),
})
