import type { Children } from '@kitajs/html'
import type { NavLink, OrgSideNav } from './navigation.ts'

export interface NavigationOrg {
  id: string
  name: string
}

export interface Navigation {
  account: { name: string; email: string; isPlatformAdmin: boolean } | null
  orgs: NavigationOrg[]
  currentOrg: (NavigationOrg & { role: string }) | null
  /** The current org's side navigation, already filtered by the member's role. */
  orgNav: OrgSideNav | null
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
  const { account, orgNav } = navigation
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
          <header class="app-bar">
            <nav aria-label="Account">
              <ul>
                <li>
                  <a href="/" class="brand">
                    <strong>Laurel</strong>
                  </a>
                </li>
              </ul>
              <ul>{account ? <AccountMenus navigation={navigation} csrfToken={csrfToken} /> : <SignInLinks />}</ul>
            </nav>
          </header>
          <div class={orgNav ? 'app-body with-side-nav' : 'app-body'}>
            {orgNav ? <SideNav nav={orgNav} /> : ''}
            <main id="main">
              {flash ? (
                <div class={`flash flash-${flash.kind}`} role={flash.kind === 'error' ? 'alert' : 'status'} safe>
                  {flash.text}
                </div>
              ) : (
                ''
              )}
              {children}
            </main>
          </div>
          <footer class="app-footer">
            <small>
              Laurel · <a href="/api/docs">API</a>
            </small>
          </footer>
        </body>
      </html>
    </>
  )
}

/** The org switcher and the user menu: dropdowns that stay in the top bar at every width. */
function AccountMenus({ navigation, csrfToken }: { navigation: Navigation; csrfToken: string }) {
  const { account, orgs, currentOrg } = navigation
  if (!account) return ''
  return (
    <>
      {orgs.length > 0 && (
        <li>
          <details class="dropdown org-switcher">
            <summary aria-label={currentOrg ? `Organisation: ${currentOrg.name}. Switch organisation` : 'Switch organisation'}>
              <span class="menu-label" safe>
                {currentOrg?.name ?? 'Organisations'}
              </span>
            </summary>
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
        <details class="dropdown user-menu">
          <summary>
            <span class="menu-label" safe>
              {account.name}
            </span>
          </summary>
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
  )
}

function SignInLinks() {
  return (
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
  )
}

/**
 * The org's pages in collapsible groups. On narrow screens it folds behind a Menu button; both are
 * <details>, so it works without JavaScript (wide screens show the drawer's content with CSS).
 */
function SideNav({ nav }: { nav: OrgSideNav }) {
  return (
    <details class="side-nav">
      <summary>Menu</summary>
      <nav aria-label="Organisation">
        <ul>
          <li>
            <SideNavLink link={nav.dashboard} />
          </li>
        </ul>
        {nav.sections.map((section) => (
          <details open={section.isOpen}>
            <summary safe>{section.label}</summary>
            <ul>
              {section.links.map((link) => (
                <li>
                  <SideNavLink link={link} />
                </li>
              ))}
            </ul>
          </details>
        ))}
      </nav>
    </details>
  )
}

function SideNavLink({ link }: { link: NavLink }) {
  return (
    <a href={link.href} aria-current={link.isCurrent ? 'page' : undefined} safe>
      {link.label}
    </a>
  )
}
