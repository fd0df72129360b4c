/** A piece of an activity sentence: plain words, or words linking to the page of a person or thing. */
export type Segment = string | { text: string; href: string }

/** What a sentence may name besides the entry's own fields, resolved before describing it. */
export interface SentenceContext {
  /** The person who acted: a name with a link, "a deleted account", or Laurel itself. */
  actor: Segment
  /** No account acted: Laurel did it, or someone not signed in did (see `requester`). */
  isWithoutAccount: boolean
  /** The person the entry is about (a member, an invitee, an account), when the target is one. */
  subject: Segment | undefined
  target: string | null
  data: Record<string, unknown>
  /** A path inside the org's pages: `orgPath('credentials', id)` is `/orgs/ORG/credentials/ID`. */
  orgPath: (...parts: string[]) => string
  /** The name of a thing of the org by its ID (an achievement, an exam session), when it still exists. */
  nameOf: (id: string) => string | undefined
}

interface ActionDescription {
  /** The action's name in the filter list. */
  label: string
  describe: (context: SentenceContext) => Segment[]
}

const text = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '')
const plural = (count: unknown, one: string, many = `${one}s`) => `${text(count) || 'some'} ${Number(count) === 1 ? one : many}`
const withArticle = (words: string) => `${/^[aeiou]/.test(words) ? 'an' : 'a'} ${words}`
const linked = (words: string, href: string | undefined): Segment => (href ? { text: words, href } : words)
/** "an achievement" or, when its name is known, "the achievement “First Aid”". */
const named = (context: SentenceContext, words: string, id: string | null): string => {
  const name = id ? context.nameOf(id) : undefined
  return name ? `${words.replace(/^an? /, 'the ')} “${name}”` : words
}
const targetLink = (context: SentenceContext, words: string, ...path: string[]): Segment =>
  linked(named(context, words, context.target), context.target ? context.orgPath(...path, context.target) : undefined)
const sessionLink = (context: SentenceContext, words = 'an exam session'): Segment => {
  const sessionId = text(context.data.examSessionId)
  return linked(named(context, words, sessionId), sessionId ? context.orgPath('exam-sessions', sessionId) : undefined)
}
const someone = (context: SentenceContext, fallback = 'someone'): Segment => context.subject ?? fallback
/** The actor of what a person may do without signing in (a public form, a link in an email). */
const requester = (context: SentenceContext): Segment => (context.isWithoutAccount ? 'Someone' : context.actor)
const reason = (context: SentenceContext, key = 'reason'): string => (text(context.data[key]) ? ` (reason: ${text(context.data[key])})` : '')

/** One action of a simple shape: the actor did something, optionally to a thing that has a page. */
const did = (label: string, words: string, thing?: { words: string; path: string[] }): ActionDescription => ({
  label,
  describe: (context) => (thing ? [context.actor, ` ${words} `, targetLink(context, thing.words, ...thing.path)] : [context.actor, ` ${words}`]),
})

const CATALOG_ENTITIES = [
  { entity: 'exam', name: 'exam', path: ['exams'] },
  { entity: 'test_centre', name: 'test centre', path: ['test-centres'] },
  // A room's page sits under its centre, which the entry does not name.
  { entity: 'room', name: 'room', path: undefined },
  { entity: 'proctor', name: 'proctor', path: ['proctors'] },
] as const

const catalogActions = Object.fromEntries(
  CATALOG_ENTITIES.flatMap(({ entity, name, path }) =>
    (['created', 'updated', 'archived', 'restored'] as const).map((change) => {
      const capitalised = `${name[0]?.toUpperCase()}${name.slice(1)}`
      const words = withArticle(name)
      const describe = (context: SentenceContext): Segment[] => [context.actor, ` ${change} `, path ? targetLink(context, words, ...path) : words]
      return [`exams.${entity}_${change}`, { label: `${capitalised} ${change}`, describe }]
    }),
  ),
) satisfies Record<string, ActionDescription>

const requestLink = (context: SentenceContext): Segment =>
  targetLink(context, withArticle(`${text(context.data.type) || 'privacy'} request`), 'privacy', 'requests')

/**
 * What moving a privacy request to each status reads as, after the actor; `request` links to it.
 * Moving back to "received" is the requester confirming it by the link emailed to them.
 */
const REQUEST_MOVES: Record<string, (request: Segment, context: SentenceContext) => Segment[]> = {
  identity_pending: (request) => [' asked the requester to confirm ', request],
  in_progress: (request, context) => (context.data.from === 'awaiting_approval' ? [' sent ', request, ' back for more work'] : [' started work on ', request]),
  awaiting_approval: (request) => [' sent ', request, ' for approval'],
  completed: (request) => [' completed ', request],
  refused: (request) => [' refused ', request],
  expired: (request) => [' closed ', request, ' unconfirmed after 30 days'],
}

const requestActions = Object.fromEntries(
  Object.entries(REQUEST_MOVES).map(([status, words]) => [
    `privacy.request_${status}`,
    {
      label: `Privacy request ${status.replaceAll('_', ' ')}`,
      describe: (context: SentenceContext) => [context.actor, ...words(requestLink(context), context)],
    },
  ]),
) satisfies Record<string, ActionDescription>

const httpRequest =
  (what: string) =>
  (context: SentenceContext): Segment[] => [
    context.actor,
    ` ${what} ${text(context.data.method)} ${text(context.data.path)} (status ${text(context.data.status)})`,
  ]

/**
 * Every action Laurel writes to the audit log, as a label and a sentence. audit.test.ts reads the
 * source for the actions written and fails on one missing here.
 */
export const AUDIT_ACTIONS: Record<string, ActionDescription> = {
  // Organisation and members
  'orgs.created': did('Organisation created', 'created the organisation'),
  'orgs.updated': did('Organisation settings changed', 'changed the organisation’s settings'),
  'orgs.member_invited': {
    label: 'Member invited',
    describe: (context) => [context.actor, ' invited ', someone(context), ` as ${text(context.data.role)}`],
  },
  'orgs.invitation_revoked': { label: 'Invitation revoked', describe: (context) => [context.actor, ' revoked the invitation of ', someone(context)] },
  'orgs.invitation_accepted': did('Invitation accepted', 'accepted an invitation and joined'),
  'orgs.member_added': { label: 'Member added', describe: (context) => [context.actor, ' added ', someone(context), ` as ${text(context.data.role)}`] },
  'orgs.member_role_changed': {
    label: 'Member role changed',
    describe: (context) => [context.actor, ' changed the role of ', someone(context), ` from ${text(context.data.from)} to ${text(context.data.to)}`],
  },
  'orgs.audit_exported': {
    label: 'Audit log exported',
    describe: (context) => [context.actor, ` downloaded ${plural(context.data.rows, 'audit log entry', 'audit log entries')} as CSV`],
  },
  'orgs.member_removed': {
    label: 'Member removed',
    describe: (context) => [context.actor, ' removed ', someone(context, 'a member'), ' from the organisation'],
  },

  // Credentials
  'credentials.achievement_created': did('Achievement created', 'created', { words: 'an achievement', path: ['achievements'] }),
  'credentials.achievement_updated': did('Achievement changed', 'changed', { words: 'an achievement', path: ['achievements'] }),
  'credentials.achievement_archived': did('Achievement archived', 'archived', { words: 'an achievement', path: ['achievements'] }),
  'credentials.achievement_restored': did('Achievement restored', 'restored', { words: 'an achievement', path: ['achievements'] }),
  'credentials.certificate_design_saved': {
    label: 'Certificate design saved',
    describe: (context) => [
      context.actor,
      ' saved ',
      linked('the certificate design', context.target ? context.orgPath('achievements', context.target, 'design') : undefined),
      ' of an achievement',
    ],
  },
  'credentials.issued': {
    label: 'Credentials issued',
    describe: (context) => {
      if (context.data.via === 'vc-api') return [context.actor, ' signed ', targetLink(context, 'a credential', 'credentials'), ' through the VC API']
      const count = Number(context.data.count ?? 1)
      if (count === 1) return [context.actor, ' issued ', targetLink(context, 'a credential', 'credentials')]
      return [context.actor, ' issued ', targetLink(context, plural(count, 'credential'), 'credentials', 'bulk')]
    },
  },
  'credentials.bulk_confirmed': {
    label: 'Bulk issuance confirmed',
    describe: (context) => [
      context.actor,
      ' confirmed ',
      targetLink(context, `a CSV issuance of ${plural(context.data.rows, 'credential')}`, 'credentials', 'bulk'),
    ],
  },
  'credentials.revoked': {
    label: 'Credential revoked',
    describe: (context) => [context.actor, ' revoked ', targetLink(context, 'a credential', 'credentials'), reason(context)],
  },
  'credentials.suspended': did('Credential suspended', 'suspended', { words: 'a credential', path: ['credentials'] }),
  'credentials.reinstated': did('Credential reinstated', 'reinstated', { words: 'a credential', path: ['credentials'] }),
  'credentials.delivery_resent': did('Credential email resent', 'resent the email of', { words: 'a credential', path: ['credentials'] }),
  'credentials.failed_deliveries_resent': {
    label: 'Failed emails resent',
    describe: (context) => [context.actor, ` resent ${plural(context.data.count, 'failed credential email')}`],
  },
  'credentials.email_settings_saved': did('Credential email changed', 'changed the email sent with credentials'),
  'credentials.public_fields_changed': did('Public page fields changed', 'changed what public credential pages show'),
  'credentials.erasure_policy_changed': did('Erasure policy changed', 'changed what happens to credentials when their recipient is erased'),
  'credentials.exported': {
    label: 'Credentials exported',
    describe: (context) => [context.actor, ` exported ${plural(context.data.rows, 'credential')} as CSV`],
  },
  'credentials.certificates_exported': {
    label: 'Certificates downloaded',
    describe: (context) => [context.actor, ' downloaded the PDF certificates of ', targetLink(context, 'a CSV issuance', 'credentials', 'bulk')],
  },
  'credentials.issuer_key_rotated': {
    label: 'Signing key rotated',
    describe: (context) => [context.actor, ' rotated ', linked('the organisation’s signing key', context.orgPath('issuer'))],
  },
  'credentials.issuer_settings_changed': {
    label: 'Signing settings changed',
    describe: (context) => [context.actor, ' changed ', linked('how credentials are signed', context.orgPath('issuer'))],
  },

  // Exams
  ...catalogActions,
  'exams.session_created': did('Exam session created', 'created', { words: 'an exam session', path: ['exam-sessions'] }),
  'exams.session_rescheduled': did('Exam session rescheduled', 'rescheduled', { words: 'an exam session', path: ['exam-sessions'] }),
  'exams.session_confirmed': did('Exam session confirmed', 'confirmed', { words: 'an exam session', path: ['exam-sessions'] }),
  'exams.session_cancelled': {
    label: 'Exam session cancelled',
    describe: (context) => [context.actor, ' cancelled ', targetLink(context, 'an exam session', 'exam-sessions'), reason(context)],
  },
  'exams.session_completed': {
    label: 'Exam session completed',
    describe: (context) => [context.actor, ' marked ', targetLink(context, 'an exam session', 'exam-sessions'), ' as completed'],
  },
  'exams.sessions_imported': {
    label: 'Exam sessions imported',
    describe: (context) => [context.actor, ` imported ${plural(context.data.created, 'exam session')} from a CSV file`],
  },
  'exams.self_registration_changed': {
    label: 'Self-registration changed',
    describe: (context) => [
      context.actor,
      context.data.open ? ' opened self-registration for ' : ' closed self-registration for ',
      targetLink(context, 'an exam session', 'exam-sessions'),
    ],
  },
  'exams.candidate_registered': { label: 'Candidate registered', describe: (context) => [context.actor, ' registered a candidate for ', sessionLink(context)] },
  'exams.candidate_self_registered': {
    label: 'Candidate registered themself',
    describe: (context) => [context.actor, ' registered for ', sessionLink(context)],
  },
  'exams.candidate_withdrew': { label: 'Candidate withdrew', describe: (context) => [context.actor, ' withdrew from ', sessionLink(context)] },
  'exams.candidate_removed': { label: 'Candidate removed', describe: (context) => [context.actor, ' removed a candidate from ', sessionLink(context)] },
  'exams.candidate_promoted': did('Candidate promoted from the waitlist', 'gave a waitlisted candidate a seat'),
  'exams.candidate_checked_in': did('Candidate checked in', 'checked a candidate in'),
  'exams.result_recorded': {
    label: 'Exam result recorded',
    describe: (context) => [
      context.actor,
      ` recorded a ${context.data.passed === true ? 'pass' : context.data.passed === false ? 'fail' : 'result'}${text(context.data.score) ? ` (score ${text(context.data.score)})` : ''} in `,
      sessionLink(context),
    ],
  },
  'exams.credential_issued': {
    label: 'Credential issued for a pass',
    describe: (context) => [
      context.actor,
      ' issued ',
      linked('a credential', text(context.data.credentialId) ? context.orgPath('credentials', text(context.data.credentialId)) : undefined),
      ' for a pass in ',
      sessionLink(context),
    ],
  },
  'exams.portal_connection_saved': {
    label: 'Testing portal settings saved',
    describe: (context) => [context.actor, ' saved ', linked('the testing portal settings', context.orgPath('portal', 'settings'))],
  },
  'exams.portal_connected': did('Testing portal connected', 'signed in to the testing portal'),
  'exams.portal_disconnected': did('Testing portal disconnected', 'signed out of the testing portal'),
  'exams.portal_error': {
    label: 'Testing portal error',
    describe: (context) => [context.actor, ` met an error at the testing portal (${text(context.data.action)}: ${text(context.data.code)})`],
  },
  'exams.portal_session_created': {
    label: 'Portal session created',
    describe: (context) => [context.actor, ' created ', targetLink(context, 'an exam session', 'exam-sessions'), ' at the testing portal'],
  },
  'exams.portal_session_confirmed': {
    label: 'Portal session confirmed',
    describe: (context) => [context.actor, ' confirmed an exam session at the testing portal'],
  },
  'exams.portal_session_cancelled': {
    label: 'Portal session cancelled',
    describe: (context) => [context.actor, ' cancelled an exam session at the testing portal'],
  },
  'exams.portal_session_linked': did('Portal session linked', 'linked a testing portal session to', { words: 'an exam session', path: ['exam-sessions'] }),
  'exams.portal_reconciled': {
    label: 'Testing portal reconciled',
    describe: (context) => [context.actor, ' reconciled ', sessionLink(context), ` with the testing portal (${text(context.data.fix).replaceAll('_', ' ')})`],
  },
  'exams.portal_run_started': did('Portal run started', 'started', { words: 'a testing portal run', path: ['portal-runs'] }),
  'exams.portal_run_stop_requested': did('Portal run stop requested', 'asked to stop', { words: 'a testing portal run', path: ['portal-runs'] }),
  'exams.portal_run_finished': {
    label: 'Portal run finished',
    describe: (context) => ['Laurel finished ', targetLink(context, 'a testing portal run', 'portal-runs'), ` (${text(context.data.state)})`],
  },

  // Privacy
  'privacy.request_received': {
    label: 'Privacy request received',
    describe: (context) =>
      context.data.from
        ? [requester(context), ' confirmed ', requestLink(context), ' by the link emailed to them']
        : [requester(context), ' made ', requestLink(context)],
  },
  ...requestActions,
  'privacy.request_near_due_notified': {
    label: 'Privacy request due soon',
    describe: (context) => ['Laurel reminded staff that ', targetLink(context, 'a privacy request', 'privacy', 'requests'), ' is due soon'],
  },
  'privacy.request_overdue_notified': {
    label: 'Privacy request overdue',
    describe: (context) => ['Laurel warned staff that ', targetLink(context, 'a privacy request', 'privacy', 'requests'), ' is overdue'],
  },
  'privacy.restriction_lifted': {
    label: 'Restriction lifted',
    describe: (context) => [context.actor, ' lifted the restriction of processing asked in ', targetLink(context, 'a privacy request', 'privacy', 'requests')],
  },
  'privacy.settings_changed': {
    label: 'Privacy settings changed',
    describe: (context) => [context.actor, ' changed ', linked('the privacy settings', context.orgPath('privacy', 'settings'))],
  },
  'privacy.breach_recorded': did('Breach recorded', 'recorded', { words: 'a personal data breach', path: ['privacy', 'breaches'] }),
  'privacy.breach_updated': did('Breach updated', 'updated', { words: 'a personal data breach', path: ['privacy', 'breaches'] }),
  'privacy.breach_regulator_notified': {
    label: 'Regulator notified of a breach',
    describe: (context) => [context.actor, ' notified the regulator of ', targetLink(context, 'a personal data breach', 'privacy', 'breaches')],
  },
  'privacy.breach_affected_people_added': {
    label: 'People affected by a breach added',
    describe: (context) => [
      context.actor,
      ` listed ${plural(context.data.added, 'person', 'people')} affected by `,
      targetLink(context, 'a personal data breach', 'privacy', 'breaches'),
    ],
  },
  'privacy.breach_letters_sent': {
    label: 'Breach letters sent',
    describe: (context) => [
      context.actor,
      ` sent ${plural(context.data.letters, 'letter')} about `,
      targetLink(context, 'a personal data breach', 'privacy', 'breaches'),
    ],
  },
  'privacy.breach_closed': did('Breach closed', 'closed', { words: 'a personal data breach', path: ['privacy', 'breaches'] }),
  'privacy.consent_granted': {
    label: 'Consent given',
    describe: (context) => [requester(context), ` gave consent to ${text(context.data.purpose) || 'a purpose'}`],
  },
  'privacy.consent_withdrawn': {
    label: 'Consent withdrawn',
    describe: (context) => [requester(context), ` withdrew consent to ${text(context.data.purpose) || 'a purpose'}`],
  },
  'privacy.export_requested': did('Data export requested', 'asked for an export of personal data'),
  'privacy.export_downloaded': did('Data export downloaded', 'downloaded an export of personal data'),
  'privacy.policy_version_published': {
    label: 'Privacy policy published',
    describe: (context) => [context.actor, ` published a ${context.data.isMaterialChange ? 'materially changed ' : ''}version of the privacy policy`],
  },
  'privacy.retention_run': {
    label: 'Retention run',
    describe: (context) => [context.actor, ' ran ', linked('the retention rules', context.orgPath('privacy', 'retention')), ` (${text(context.data.trigger)})`],
  },

  // Accounts and sign-in (written without an org, except API keys)
  'identity.signed_up': did('Signed up', 'signed up'),
  'identity.email_verified': did('Email address confirmed', 'confirmed an email address'),
  'identity.email_added': did('Email address added', 'added an email address'),
  'identity.email_removed': did('Email address removed', 'removed an email address'),
  'identity.primary_email_changed': did('Primary email address changed', 'changed their primary email address'),
  'identity.guardian_confirmation_requested': did('Guardian confirmation asked', 'asked a parent or guardian to confirm their account'),
  'identity.guardian_confirmed': { label: 'Guardian confirmed', describe: (context) => ['A parent or guardian confirmed the account of ', someone(context)] },
  'identity.password_reset_requested': { label: 'Password reset asked', describe: (context) => ['A password reset was asked for ', someone(context)] },
  'identity.password_reset': did('Password reset', 'reset their password'),
  'identity.password_changed': did('Password changed', 'changed their password'),
  'identity.totp_enabled': did('Two-step sign-in turned on', 'turned on two-step sign-in'),
  'identity.totp_disabled': did('Two-step sign-in turned off', 'turned off two-step sign-in'),
  'identity.login_session_ended': did('Signed out', 'signed out'),
  'identity.other_login_sessions_ended': {
    label: 'Other sessions signed out',
    describe: (context) => [context.actor, ` signed out ${plural(context.data.count, 'other login session')}`],
  },
  'identity.sign_in': {
    label: 'Sign-in',
    describe: (context) => [
      requester(context),
      context.data.result === 'success'
        ? ' signed in'
        : ` tried to sign in (${[context.data.result, context.data.reason].map(text).filter(Boolean).join(': ').replaceAll('_', ' ')})`,
    ],
  },
  'identity.sign_in_second_factor': {
    label: 'Sign-in second step',
    describe: (context) => [
      context.actor,
      context.data.result === 'success' ? ' gave their second sign-in step' : ` failed their second sign-in step (${text(context.data.result)})`,
    ],
  },
  'identity.sign_in_unlocked': { label: 'Sign-in unlocked', describe: (context) => [context.actor, ' unlocked sign-in for ', someone(context)] },
  'identity.api_key_created': { label: 'API key created', describe: (context) => [context.actor, ` created an API key (${text(context.data.scope)})`] },
  'identity.api_key_revoked': did('API key revoked', 'revoked an API key'),
  'identity.platform_admin_granted': {
    label: 'Platform administrator added',
    describe: (context) => [context.actor, ' made ', someone(context), ' a platform administrator'],
  },
  'identity.platform_admin_revoked': {
    label: 'Platform administrator removed',
    describe: (context) => [context.actor, ' removed ', someone(context), ' from the platform administrators'],
  },

  // Platform
  'crypto.keys_rotated': did('Encryption keys rotated', 'rotated the encryption keys'),
  'http.page_request': { label: 'Page opened', describe: httpRequest('opened') },
  'http.api_request': { label: 'API called', describe: httpRequest('called') },
}

/** The action's sentence; an action missing from the catalogue (an older version's) reads by its name. */
export function describeAction(action: string, context: SentenceContext): Segment[] {
  const description = AUDIT_ACTIONS[action]
  return description ? description.describe(context) : [context.actor, ` did ${action.replaceAll('_', ' ')}`]
}

export function actionLabel(action: string): string {
  return AUDIT_ACTIONS[action]?.label ?? action
}

/** The sentence as plain text (for CSV and tests). */
export function sentenceText(segments: Segment[]): string {
  return segments.map((segment) => (typeof segment === 'string' ? segment : segment.text)).join('')
}
