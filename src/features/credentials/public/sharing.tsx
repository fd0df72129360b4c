import { escapeHtml } from '@kitajs/html'
import type { Config } from '../../../config.ts'
import { NotFoundError } from '../../../platform/errors.ts'
import type { TypedApp } from '../../../platform/feature.ts'
import type { Messages } from '../../../platform/i18n/messages.ts'
import { recordCredentialAccess } from '../analytics/analytics.ts'
import { PublicCredentialParams } from '../contract.ts'
import { findPublicCredential } from '../queries.ts'
import { KEEPS_NO_VISITOR_ADDRESS } from '../routes.ts'
import { publicUrls } from '../urls.ts'

/** What sharing a credential needs to say about it. */
export interface SharedCredential {
  id: string
  achievementName: string
  achievementDescription: string
  issuerName: string
  validFrom: Date
  validUntil: Date | null
  /** The badge image's absolute URL, when the achievement has one. */
  imageUrl: string | undefined
}

export function sharedCredentialOf(config: Config, found: NonNullable<Awaited<ReturnType<typeof findPublicCredential>>>, m: Messages): SharedCredential {
  const { credential, achievement } = found
  const issuer = (credential.document.issuer ?? {}) as { name?: unknown }
  return {
    id: credential.id,
    achievementName: achievement?.name ?? String(credential.document.name ?? m.t('credential.fallbackName')),
    achievementDescription: achievement?.description ?? String(credential.document.description ?? ''),
    issuerName: typeof issuer.name === 'string' ? issuer.name : '',
    validFrom: credential.validFrom,
    validUntil: credential.validUntil,
    imageUrl: achievement?.imageType ? publicUrls(config).achievementImage(achievement.id) : undefined,
  }
}

/** LinkedIn's "Add licence or certification" form, prefilled; its certificate link says it came from LinkedIn. */
export function linkedInAddUrl(config: Config, shared: SharedCredential): string {
  const parameters = new URLSearchParams({
    startTask: 'CERTIFICATION_NAME',
    name: shared.achievementName,
    organizationName: shared.issuerName,
    issueYear: String(shared.validFrom.getUTCFullYear()),
    issueMonth: String(shared.validFrom.getUTCMonth() + 1),
    ...(shared.validUntil ? { expirationYear: String(shared.validUntil.getUTCFullYear()), expirationMonth: String(shared.validUntil.getUTCMonth() + 1) } : {}),
    certUrl: publicUrls(config).credentialVia(shared.id, 'linkedin'),
    certId: shared.id,
  })
  return `https://www.linkedin.com/profile/add?${parameters}`
}

function shareLinks(config: Config, shared: SharedCredential, m: Messages) {
  const urls = publicUrls(config)
  const { achievementName, issuerName } = shared
  const text = issuerName ? m.t('share.textWithIssuer', { achievementName, issuerName }) : achievementName
  const body = m.t('share.emailBody', { text, url: urls.credentialVia(shared.id, 'share') })
  return {
    copy: urls.credentialVia(shared.id, 'share'),
    email: `mailto:?${new URLSearchParams({ subject: text, body }).toString().replaceAll('+', '%20')}`,
    x: `https://x.com/intent/tweet?${new URLSearchParams({ text, url: urls.credentialVia(shared.id, 'x') })}`,
    linkedIn: `https://www.linkedin.com/sharing/share-offsite/?${new URLSearchParams({ url: urls.credentialVia(shared.id, 'linkedin') })}`,
  }
}

/** HTML for a website: the badge (or the achievement's name) linking to the public page. */
export function embedSnippet(config: Config, shared: SharedCredential, m: Messages): string {
  const href = escapeHtml(publicUrls(config).credentialVia(shared.id, 'embed'))
  const label = escapeHtml(m.t('share.embedAlt', { achievementName: shared.achievementName }))
  const content = shared.imageUrl ? `<img src="${escapeHtml(shared.imageUrl)}" alt="${label}" width="120" height="120">` : label
  return `<a href="${href}" target="_blank" rel="noopener">${content}</a>`
}

/** Open Graph and Twitter card tags, so a shared link shows the badge, the achievement and what it means. */
export function SharingMeta({ config, shared, messages: m }: { config: Config; shared: SharedCredential; messages: Messages }) {
  const url = publicUrls(config).credential(shared.id)
  const description = shared.achievementDescription || m.t('share.description', { issuerName: shared.issuerName })
  return (
    <>
      <link rel="canonical" href={url} />
      <meta name="description" content={description} />
      <meta property="og:type" content="website" />
      <meta property="og:site_name" content={shared.issuerName || 'Laurel'} />
      <meta property="og:title" content={shared.achievementName} />
      <meta property="og:description" content={description} />
      <meta property="og:url" content={url} />
      {shared.imageUrl ? (
        <>
          <meta property="og:image" content={shared.imageUrl} />
          <meta property="og:image:alt" content={m.t('credential.badgeAlt', { achievementName: shared.achievementName })} />
          <meta property="og:locale" content={m.locale} />
        </>
      ) : (
        ''
      )}
      <meta name="twitter:card" content="summary" />
      <meta name="twitter:title" content={shared.achievementName} />
      <meta name="twitter:description" content={description} />
      {shared.imageUrl ? <meta name="twitter:image" content={shared.imageUrl} /> : ''}
    </>
  )
}

/** Add to LinkedIn, share links, and the badge snippet for websites. */
export function ShareSection({ config, shared, isOpen, messages: m }: { config: Config; shared: SharedCredential; isOpen: boolean; messages: Messages }) {
  const links = shareLinks(config, shared, m)
  return (
    <details class="share" open={isOpen}>
      <summary safe>{m.t('share.summary')}</summary>
      <p>
        <a href={`/credentials/${shared.id}/linkedin`} role="button" rel="nofollow" safe>
          {m.t('share.addToLinkedIn')}
        </a>
      </p>
      <p>
        <code id="share-url" safe>
          {links.copy}
        </code>{' '}
        <button type="button" class="secondary outline" data-copy="share-url" safe>
          {m.t('share.copyLink')}
        </button>
      </p>
      <ul>
        <li>
          <a href={links.email} safe>
            {m.t('share.byEmail')}
          </a>
        </li>
        <li>
          <a href={links.linkedIn} rel="noopener noreferrer" target="_blank" safe>
            {m.t('share.onLinkedIn')}
          </a>
        </li>
        <li>
          <a href={links.x} rel="noopener noreferrer" target="_blank" safe>
            {m.t('share.onX')}
          </a>
        </li>
      </ul>
      <label for="embed-snippet" safe>
        {m.t('share.embedLabel')}
      </label>
      <textarea id="embed-snippet" class="embed-snippet" rows="3" readonly safe>
        {embedSnippet(config, shared, m)}
      </textarea>
      <button type="button" class="secondary outline" data-copy="embed-snippet" safe>
        {m.t('share.copyHtml')}
      </button>
    </details>
  )
}

export async function sharingRoutes(app: TypedApp): Promise<void> {
  const { platform } = app

  // Through Laurel so the click is counted; then on to LinkedIn's prefilled form.
  app.get('/credentials/:credentialId/linkedin', { config: KEEPS_NO_VISITOR_ADDRESS, schema: { params: PublicCredentialParams } }, async (request, reply) => {
    const found = await findPublicCredential(platform.db, request.params.credentialId)
    if (!found) throw new NotFoundError('credential')
    recordCredentialAccess(platform, request, found.credential, 'linkedin_clicked')
    return reply.header('x-robots-tag', 'noindex').redirect(linkedInAddUrl(platform.config, sharedCredentialOf(platform.config, found, request.messages)))
  })
}
