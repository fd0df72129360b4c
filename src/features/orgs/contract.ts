import { Type } from 'typebox'
import { SortQueryFields } from '../../platform/db/sort.ts'
import { LocaleSchema } from '../../platform/i18n/locales.ts'
import { ROLES, type Role } from './schema.ts'

const RoleUnion = Type.Union(
  ROLES.map((role) => Type.Literal(role)),
  { errorMessage: `Choose one of: ${ROLES.join(', ')}.` },
)
// Unsafe<Role>: TypeBox types a union built from a mapped array as `never`; the schema itself is unchanged.
export const RoleSchema = Type.Unsafe<Role>(RoleUnion)

export const OrgForm = Type.Object({
  name: Type.String({ minLength: 2, maxLength: 120, errorMessage: 'Name the organisation (2 to 120 characters).' }),
  timeZone: Type.Optional(Type.String({ maxLength: 64, errorMessage: 'Choose a time zone from the list.' })),
  defaultLocale: Type.Optional(LocaleSchema()),
})
export const InviteForm = Type.Object({
  email: Type.String({ format: 'email', maxLength: 254, errorMessage: 'Enter an email address like name@example.org.' }),
  role: RoleSchema,
})
export const RoleForm = Type.Object({ role: RoleSchema })
/** The members page's form: granting Owner comes back with confirm=yes from the confirmation page. */
export const RoleChangeForm = Type.Object({ role: RoleSchema, confirm: Type.Optional(Type.Literal('yes')) })

export const OrgParams = Type.Object({ orgId: Type.String({ maxLength: 64 }) })
export const MemberParams = Type.Object({ orgId: Type.String({ maxLength: 64 }), memberId: Type.String({ maxLength: 64 }) })
export const InvitationParams = Type.Object({ orgId: Type.String({ maxLength: 64 }), invitationId: Type.String({ maxLength: 64 }) })

export const MembersQuery = Type.Object({
  search: Type.Optional(Type.String({ maxLength: 200 })),
  role: Type.Optional(Type.Union([Type.Literal(''), RoleSchema])),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  ...SortQueryFields,
})

export const AuditQuery = Type.Object({
  action: Type.Optional(Type.String({ maxLength: 100 })),
  actor: Type.Optional(Type.String({ maxLength: 64 })),
  from: Type.Optional(Type.Union([Type.Literal(''), Type.String({ format: 'date' })])),
  to: Type.Optional(Type.Union([Type.Literal(''), Type.String({ format: 'date' })])),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
})

/** The audit page's filters (and its CSV's): a person's name or email, one action, a date range. */
export const ActivityQuery = Type.Object({
  person: Type.Optional(Type.String({ maxLength: 200 })),
  action: Type.Optional(Type.String({ maxLength: 100 })),
  from: Type.Optional(Type.Union([Type.Literal(''), Type.String({ format: 'date' })])),
  to: Type.Optional(Type.Union([Type.Literal(''), Type.String({ format: 'date' })])),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
})

/** An instant in a response: a handler may return the row's Date, which the serializer writes as an RFC 3339 string. */
const Instant = Type.Unsafe<Date | string>(Type.String({ format: 'date-time' }))

export const OrgView = Type.Object({ id: Type.String(), name: Type.String(), timeZone: Type.String() })
export const MyOrgView = Type.Object({ id: Type.String(), name: Type.String(), role: Type.String() })
export const MemberView = Type.Object({
  id: Type.String({ examples: ['mem_01jc5d8y4k9q2t8v1n3m6p7r2s'] }),
  accountId: Type.String(),
  name: Type.String(),
  email: Type.String(),
  role: Type.String(),
  createdAt: Instant,
})
export const MemberPage = Type.Object({
  items: Type.Array(MemberView),
  total: Type.Integer(),
  page: Type.Integer(),
  pageCount: Type.Integer(),
})
export const InvitationView = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: Type.String(),
  expiresAt: Instant,
})
export const AuditEntryView = Type.Object({
  id: Type.String(),
  recordedAt: Instant,
  action: Type.String(),
  actorAccountId: Type.Union([Type.String(), Type.Null()]),
  target: Type.Union([Type.String(), Type.Null()]),
  data: Type.Record(Type.String(), Type.Unknown()),
  ip: Type.Union([Type.String(), Type.Null()]),
})
export const AuditPage = Type.Object({
  items: Type.Array(AuditEntryView),
  total: Type.Integer(),
  page: Type.Integer(),
  pageCount: Type.Integer(),
})
