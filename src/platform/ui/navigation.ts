/** The org roles, as the orgs feature ranks them; a navigation item names the least role that sees it. */
export type NavRole = 'member' | 'trainer' | 'staff' | 'admin' | 'owner'

/** The side navigation's groups, in the order they are drawn. */
export const NAV_GROUPS = [
  { id: 'credentials', label: 'Credentials' },
  { id: 'exams', label: 'Exams' },
  { id: 'people', label: 'People' },
  { id: 'organisation', label: 'Organisation' },
] as const

export type NavGroupId = (typeof NAV_GROUPS)[number]['id']

/** A page in an org's side navigation, declared by the feature that serves it (`Feature.navigation`). */
export interface OrgNavItem {
  group: NavGroupId
  /** The page's path under the org, e.g. `/achievements` for `/orgs/:orgId/achievements`. */
  path: string
  label: string
  minimumRole: NavRole
}

export interface NavLink {
  href: string
  label: string
  isCurrent: boolean
}

export interface NavSection {
  label: string
  links: NavLink[]
  isOpen: boolean
}

export interface OrgSideNav {
  dashboard: NavLink
  sections: NavSection[]
}

/**
 * The side navigation of a page of the org at `base`, from the items the member may see: grouped, the
 * item with the longest path that holds the page marked current and its group open (every group, on a
 * page of none).
 */
export function buildOrgSideNav(base: string, path: string, items: OrgNavItem[]): OrgSideNav {
  const pagePath = path.endsWith('/') ? path.slice(0, -1) : path
  const holdsPage = (href: string) => pagePath === href || pagePath.startsWith(`${href}/`)
  const current = items
    .map((item) => `${base}${item.path}`)
    .filter(holdsPage)
    .reduce<string | null>((longest, href) => (longest && longest.length >= href.length ? longest : href), null)
  const sections = NAV_GROUPS.map((group) => {
    const links = items
      .filter((item) => item.group === group.id)
      .map((item) => ({ href: `${base}${item.path}`, label: item.label, isCurrent: `${base}${item.path}` === current }))
    return { label: group.label, links, isOpen: current === null || links.some((link) => link.isCurrent) }
  }).filter((section) => section.links.length > 0)
  return { dashboard: { href: base, label: 'Dashboard', isCurrent: pagePath === base }, sections }
}
