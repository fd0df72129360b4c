import { Type } from 'typebox'

const Instant = Type.Unsafe<Date | string>(Type.String({ format: 'date-time' }))
const Text = (maxLength: number) => Type.String({ maxLength })
/** A form sends one checked box as a string and several as a list. */
const OneOrMany = Type.Union([Type.String({ maxLength: 200 }), Type.Array(Type.String({ maxLength: 200 }), { maxItems: 200 })])

export const OrgParams = Type.Object({ orgId: Type.String({ maxLength: 64 }) })
/** `job`: the letters job just started, whose progress bar the page shows. */
export const IncidentPageQuery = Type.Object({ job: Type.Optional(Type.String({ maxLength: 64 })) })
export const IncidentParams = Type.Object({ orgId: Type.String({ maxLength: 64 }), incidentId: Type.String({ maxLength: 64 }) })

/** The incident as the API takes it; every element is checked by the service, which names what is missing. */
export const IncidentBody = Type.Object({
  title: Text(200),
  occurredAt: Type.Optional(Type.String({ format: 'date-time' })),
  discoveredAt: Type.Optional(Type.String({ format: 'date-time' })),
  whatHappened: Text(10_000),
  dataCategories: Type.Array(Type.String({ maxLength: 200 }), { maxItems: 200 }),
  measuresTaken: Text(10_000),
  whatPeopleCanDo: Text(10_000),
  contactInfo: Text(2_000),
  protectionMeasures: Text(10_000),
  advice: Text(10_000),
  cureSteps: Text(10_000),
  cureTimeframe: Text(2_000),
})

/** The incident as the page's form sends it: times are wall-clock times in the org's time zone. */
export const IncidentForm = Type.Object({
  title: Type.Optional(Text(200)),
  occurredAt: Type.Optional(Text(32)),
  discoveredAt: Type.Optional(Text(32)),
  whatHappened: Type.Optional(Text(10_000)),
  dataCategories: Type.Optional(OneOrMany),
  measuresTaken: Type.Optional(Text(10_000)),
  whatPeopleCanDo: Type.Optional(Text(10_000)),
  contactInfo: Type.Optional(Text(2_000)),
  protectionMeasures: Type.Optional(Text(10_000)),
  advice: Type.Optional(Text(10_000)),
  cureSteps: Type.Optional(Text(10_000)),
  cureTimeframe: Type.Optional(Text(2_000)),
})

export const AffectedQueryBody = Type.Object({
  dataCategories: Type.Array(Type.String({ maxLength: 200 }), { minItems: 1, maxItems: 200 }),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
})

export const AffectedQueryForm = Type.Object({
  dataCategories: Type.Optional(OneOrMany),
  from: Type.Optional(Text(32)),
  to: Type.Optional(Text(32)),
})

export const DeadlineView = Type.Object({ dueAt: Instant, remainingMs: Type.Number(), isOverdue: Type.Boolean(), isMet: Type.Boolean() })

export const IncidentSummaryView = Type.Object({
  id: Type.String({ examples: ['brch_01jc5d8y4k9q2t8v1n3m6p7r2s'] }),
  title: Type.String(),
  status: Type.String(),
  discoveredAt: Instant,
  regulatorNotifiedAt: Type.Union([Instant, Type.Null()]),
  affectedPeople: Type.Integer(),
  regulatorDeadline: DeadlineView,
})

export const IncidentView = Type.Object({
  id: Type.String(),
  title: Type.String(),
  status: Type.String(),
  occurredAt: Instant,
  discoveredAt: Instant,
  whatHappened: Type.String(),
  dataCategories: Type.Array(Type.String()),
  measuresTaken: Type.String(),
  whatPeopleCanDo: Type.String(),
  contactInfo: Type.String(),
  protectionMeasures: Type.String(),
  advice: Type.String(),
  cureSteps: Type.String(),
  cureTimeframe: Type.String(),
  regulatorNotifiedAt: Type.Union([Instant, Type.Null()]),
  regulatorDeadline: DeadlineView,
})

export const PersonView = Type.Object({ email: Type.String(), name: Type.String(), accountId: Type.Union([Type.String(), Type.Null()]) })
export const AffectedPersonView = Type.Object({
  email: Type.String(),
  name: Type.String(),
  accountId: Type.Union([Type.String(), Type.Null()]),
  letterStatus: Type.Union([Type.String(), Type.Null()]),
  letterSentAt: Type.Union([Instant, Type.Null()]),
})
export const JobStarted = Type.Object({ jobId: Type.String() })
