import type { TypedApp } from '../../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../../platform/http/auth.ts'
import { CorrectYourDataSection, MyRequestsSection, myRequestActions } from './my-requests-section.tsx'

/**
 * "My privacy" (/account/privacy): one section per part of the privacy center. Other parts add
 * theirs where marked (data download from privacy-center/export, consents from privacy-center/consent).
 */
export async function myPrivacyPage(app: TypedApp): Promise<void> {
  const { platform } = app

  await app.register(async (account: TypedApp) => {
    account.addHook('preHandler', requireSignedIn)

    account.get('/account/privacy', async (request, reply) => {
      const auth = signedInAuth(request)
      const csrf = reply.csrfToken()
      return reply.page(
        'My privacy',
        <>
          <h1>My privacy</h1>
          {/* The data-download section (privacy-center/export) goes here. */}
          <MyRequestsSection platform={platform} auth={auth} csrf={csrf} />
          <CorrectYourDataSection />
          {/* The consents section (privacy-center/consent) goes here. */}
        </>,
      )
    })

    await account.register(myRequestActions)
  })
}
