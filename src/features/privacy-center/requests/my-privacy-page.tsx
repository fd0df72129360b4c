import type { TypedApp } from '../../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../../platform/http/auth.ts'
import { ConsentSection, consentViewsOf } from '../consent/pages.tsx'
import { ExportSection } from '../export/section.tsx'
import { listDataExports } from '../export/service.ts'
import { CorrectYourDataSection, MyRequestsSection, myRequestActions } from './my-requests-section.tsx'

/** "My privacy" (/account/privacy): one section per part of the privacy center. */
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
          <ExportSection exports={await listDataExports(platform, auth.accountId)} csrf={csrf} />
          <p>
            <a href="/account/privacy/access-log">My access log</a>: every sign-in, page and change on your account.
          </p>
          <MyRequestsSection platform={platform} auth={auth} csrf={csrf} />
          <CorrectYourDataSection />
          <ConsentSection consents={await consentViewsOf(app, auth.accountId)} csrfToken={csrf} />
        </>,
      )
    })

    await account.register(myRequestActions)
  })
}
