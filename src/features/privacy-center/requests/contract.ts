import { Type } from 'typebox'
import { SortQueryFields } from '../../../platform/db/sort.ts'
import { REQUEST_STATUSES, REQUEST_TYPES, type RequestStatus, type RequestType } from './schema.ts'
import { REQUEST_ACTIONS, type RequestAction } from './service.ts'

/** A union of string literals; Unsafe<T> because TypeBox types a union built from a mapped array as `never`. */
const oneOf = <T extends string>(values: readonly T[], errorMessage: string) =>
  Type.Unsafe<T>(
    Type.Union(
      values.map((value) => Type.Literal(value)),
      { errorMessage },
    ),
  )

export const RequestTypeSchema = oneOf<RequestType>(REQUEST_TYPES, `Choose the kind of request: ${REQUEST_TYPES.join(', ')}.`)
export const RequestStatusSchema = oneOf<RequestStatus>(REQUEST_STATUSES, `Choose a status: ${REQUEST_STATUSES.join(', ')}.`)
export const RequestActionSchema = oneOf<RequestAction>(REQUEST_ACTIONS, `Choose an action: ${REQUEST_ACTIONS.join(', ')}.`)

const Details = Type.String({ maxLength: 4000, errorMessage: 'Keep the details under 4,000 characters.' })

export const PublicRequestForm = Type.Object({
  type: RequestTypeSchema,
  email: Type.String({ format: 'email', maxLength: 254, errorMessage: 'Enter your email address, like name@example.org.' }),
  name: Type.String({ minLength: 1, maxLength: 200, errorMessage: 'Enter your name (up to 200 characters).' }),
  details: Type.Optional(Details),
})

export const OwnRequestForm = Type.Object({
  type: RequestTypeSchema,
  orgId: Type.Optional(Type.String({ maxLength: 64 })),
  details: Type.Optional(Details),
})

export const ActionForm = Type.Object({
  action: RequestActionSchema,
  note: Type.Optional(Type.String({ maxLength: 4000, errorMessage: 'Keep the note under 4,000 characters.' })),
})

export const RequestsQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal(''), RequestStatusSchema])),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  ...SortQueryFields,
})

export const OrgParams = Type.Object({ orgId: Type.String({ maxLength: 64 }) })
export const OrgRequestParams = Type.Object({ orgId: Type.String({ maxLength: 64 }), requestId: Type.String({ maxLength: 64 }) })
export const RequestParams = Type.Object({ requestId: Type.String({ maxLength: 64 }) })
export const PublicRequestQuery = Type.Object({ org: Type.Optional(Type.String({ maxLength: 64 })) })
export const TokenQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) })

const Instant = Type.Unsafe<Date | string>(Type.String({ format: 'date-time' }))
const NullableInstant = Type.Union([Instant, Type.Null()])
const NullableString = Type.Union([Type.String(), Type.Null()])

export const RequestView = Type.Object({
  id: Type.String({ examples: ['preq_01jc5d8y4k9q2t8v1n3m6p7r2s'] }),
  orgId: NullableString,
  type: RequestTypeSchema,
  status: RequestStatusSchema,
  subjectEmail: NullableString,
  subjectName: NullableString,
  guardianEmail: NullableString,
  identityVerification: Type.String(),
  receivedAt: Instant,
  dueAt: Instant,
  outcome: NullableString,
  closedAt: NullableInstant,
})

export const RequestPage = Type.Object({ items: Type.Array(RequestView), total: Type.Integer(), page: Type.Integer(), pageCount: Type.Integer() })
