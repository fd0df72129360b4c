import type { Children } from '@kitajs/html'

export interface NavigationOrg {
  id: string
  name: string
}

export interface Navigation {
  account: { name: string; email: string; isPlatformAdmin: boolean } | null
  orgs: NavigationOrg[]
  currentOrg: (NavigationOrg & { role: string }) | null
  /** Links for the current org, already filtered by the member's role. */
  orgLinks: { href: string; label: string }[]
}

export interface Flash {
  kind: 'success' | 'error' | 'info'
  text: string
}

export interface LayoutProps {
  title: string
  /** The page's language and writing direction (`rtl` for Arabic). */
  lang: string
  dir: 'ltr' | 'rtl'
  navigation: Navigation
  csrfToken: string
  flash: Flash | null
  head?: Children
  children: Children
}

export function Layout({ title, lang, dir, navigation, csrfToken, flash, head, children }: LayoutProps) {
  const { account, orgs, currentOrg, orgLinks } = navigation
  return (
    <>
      {'<!doctype html>'}
      <html lang={lang} dir={dir}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="light dark" />
          <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false}' />
          <title safe>{`${title} · Laurel`}</title>
          <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
          <link rel="stylesheet" href="/assets/pico/pico.min.css" />
          <link rel="stylesheet" href="/assets/laurel.css" />
          <script src="/assets/htmx/htmx.min.js" defer></script>
          <script src="/assets/laurel.js" defer></script>
          {head ?? ''}
        </head>
        <body hx-headers={JSON.stringify({ 'x-csrf-token': csrfToken })}>
          <a class="skip-link" href="#main">
            Skip to content
          </a>
          <header class="container">
            <nav aria-label="Main">
              <ul>
                <li>
                  <a href="/" class="brand">
                    <strong>Laurel</strong>
                  </a>
                </li>
                {currentOrg ? (
                  <li>
                    <span class="org-name" safe>
                      {currentOrg.name}
                    </span>
                  </li>
                ) : (
                  ''
                )}
              </ul>
              <ul>
                {orgLinks.map((link) => (
                  <li>
                    <a href={link.href} safe>
                      {link.label}
                    </a>
                  </li>
                ))}
                {account ? (
                  <>
                    {orgs.length > 0 && (
                      <li>
                        <details class="dropdown">
                          <summary>Switch organisation</summary>
                          <ul dir="rtl">
                            {orgs.map((org) => (
                              <li>
                                <a href={`/orgs/${org.id}`} aria-current={org.id === currentOrg?.id ? 'page' : undefined} safe>
                                  {org.name}
                                </a>
                              </li>
                            ))}
                            <li>
                              <a href="/orgs/new">New organisation…</a>
                            </li>
                          </ul>
                        </details>
                      </li>
                    )}
                    <li>
                      <details class="dropdown">
                        <summary safe>{account.name}</summary>
                        <ul dir="rtl">
                          <li>
                            <a href="/me/credentials">My credentials</a>
                          </li>
                          <li>
                            <a href="/me/exam-registrations">My exam registrations</a>
                          </li>
                          <li>
                            <a href="/account">Account</a>
                          </li>
                          <li>
                            <a href="/account/privacy">My privacy</a>
                          </li>
                          <li>
                            <a href="/account/security">Security</a>
                          </li>
                          <li>
                            <a href="/account/sessions">Login sessions</a>
                          </li>
                          <li>
                            <a href="/account/api-keys">API keys</a>
                          </li>
                          {account.isPlatformAdmin && (
                            <li>
                              <a href="/admin">Platform admin</a>
                            </li>
                          )}
                          <li>
                            <form method="post" action="/sign-out" class="inline">
                              <input type="hidden" name="_csrf" value={csrfToken} />
                              <button type="submit" class="link">
                                Sign out
                              </button>
                            </form>
                          </li>
                        </ul>
                      </details>
                    </li>
                  </>
                ) : (
                  <>
                    <li>
                      <a href="/sign-in">Sign in</a>
                    </li>
                    <li>
                      <a href="/sign-up" role="button">
                        Sign up
                      </a>
                    </li>
                  </>
                )}
              </ul>
            </nav>
          </header>
          <main id="main" class="container">
            {flash ? (
              <div class={`flash flash-${flash.kind}`} role={flash.kind === 'error' ? 'alert' : 'status'} safe>
                {flash.text}
              </div>
            ) : (
              ''
            )}
            {children}
          </main>
          <footer class="container">
            <small>
              Laurel · <a href="/api/docs">API</a>
            </small>
          </footer>
        </body>
      </html>
    </>
  )
}
