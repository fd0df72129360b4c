import { Type } from 'typebox'

const Kind = Type.Union([Type.Literal('sign_in'), Type.Literal('page'), Type.Literal('account'), Type.Literal('by_others'), Type.Literal('privacy')], {
  description:
    'sign_in: sign-ins and failed attempts; page: pages and API calls you made; account: changes you made; by_others: changes others made to your account; privacy: exports and privacy requests',
})

export const AccessLogQuery = Type.Object({
  // The page's filter form sends an empty kind for "everything".
  kind: Type.Optional(Type.Union([Kind, Type.Literal('')])),
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'The nextBefore of the previous page' })),
})

export const AccessLogResponse = Type.Object({
  items: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      at: Type.String({ format: 'date-time' }),
      kind: Kind,
      action: Type.String({ examples: ['identity.sign_in'] }),
      actor: Type.Union([Type.Literal('you'), Type.Literal('someone_else'), Type.Literal('not_signed_in')]),
      orgId: Type.Union([Type.String(), Type.Null()]),
      ip: Type.Union([Type.String(), Type.Null()], { description: 'Only for what you did or what was tried on your account without signing in' }),
      userAgent: Type.Union([Type.String(), Type.Null()]),
      details: Type.Record(Type.String(), Type.Unknown(), { description: 'Other people’s addresses and account IDs are replaced' }),
    }),
  ),
  nextBefore: Type.Union([Type.Integer(), Type.Null()], { description: 'Pass as before for older entries; null on the last page' }),
})
