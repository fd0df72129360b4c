/**
 * Every cookie Laurel sets, for the privacy policy page. All are essential (strictly necessary for what the
 * person asked for), so Laurel shows no cookie banner; test/privacy/cookies.test.ts visits every page and
 * fails on a cookie missing here, so this list cannot fall behind the code.
 */
export interface CookieDeclaration {
  name: string
  purpose: string
  lifetime: string
  /** Strictly necessary: no consent needed. A non-essential cookie would need a consent banner first. */
  essential: true
}

export const COOKIE_INVENTORY: CookieDeclaration[] = [
  {
    name: 'laurel_session',
    purpose: 'Keeps you signed in (a random token; the server keeps only its hash).',
    lifetime: 'Until you close the browser; 24 hours if you tick "Keep me signed in". The sign-in itself ends after 2 idle hours or 24 hours.',
    essential: true,
  },
  {
    name: 'laurel_csrf',
    purpose: 'Protects forms against being sent from other sites (cross-site request forgery).',
    lifetime: 'Until you close the browser',
    essential: true,
  },
  {
    name: 'laurel_flash',
    purpose: 'Carries a one-time message ("Profile saved.") to the next page you see.',
    lifetime: 'Until the next page is shown',
    essential: true,
  },
  {
    name: 'laurel_org',
    purpose: 'Remembers which of your organisations you are working in.',
    lifetime: 'Until you close the browser',
    essential: true,
  },
  {
    name: 'laurel_key_portal',
    purpose: 'Holds the key to your testing-portal sign-in, kept encrypted on the server for this sign-in only.',
    lifetime: '24 hours at most; removed when you sign out or disconnect the portal',
    essential: true,
  },
]
