import { type TSchema, Type } from 'typebox'
import { SortQueryFields } from '../../platform/db/sort.ts'
import { EXAM_SESSION_STATUSES, type ExamSessionStatus } from './schema.ts'

const Param = Type.String({ maxLength: 64 })
export const ExamParams = Type.Object({ orgId: Param, examId: Param })
export const CentreParams = Type.Object({ orgId: Param, centreId: Param })
export const RoomParams = Type.Object({ orgId: Param, centreId: Param, roomId: Param })
export const ProctorParams = Type.Object({ orgId: Param, proctorId: Param })
export const ExamSessionParams = Type.Object({ orgId: Param, examSessionId: Param })
export const ImportParams = Type.Object({ orgId: Param, examSessionImportId: Param })

const CODE = '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$'
const optionalId = (errorMessage: string) => Type.Optional(Type.String({ maxLength: 64, errorMessage }))

export const ExamFields = Type.Object({
  code: Type.String({ pattern: CODE, errorMessage: 'Code: 1 to 32 letters, digits, dots, dashes or underscores, e.g. FA-101.' }),
  title: Type.String({ minLength: 1, maxLength: 200, errorMessage: 'Give the exam a title (up to 200 characters).' }),
  durationMinutes: Type.Integer({ minimum: 1, maximum: 1440, errorMessage: 'Duration: a whole number of minutes from 1 to 1,440.' }),
  passMark: Type.Integer({ minimum: 0, maximum: 100_000, errorMessage: 'Pass mark: a whole number from 0 to 100,000.' }),
  maxScore: Type.Integer({ minimum: 1, maximum: 100_000, errorMessage: 'Maximum score: a whole number from 1 to 100,000.' }),
  achievementId: optionalId('Choose one of your achievements, or none.'),
  checkInOpensMinutesBefore: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 10_080, errorMessage: 'Check-in opens: a whole number of minutes before the start, from 0 to 10,080 (a week).' }),
  ),
  resultsOpenMinutesBefore: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 10_080, errorMessage: 'Results open: a whole number of minutes before the start, from 0 to 10,080 (a week).' }),
  ),
})

export const CentreFields = Type.Object({
  code: Type.String({ pattern: CODE, errorMessage: 'Code: 1 to 32 letters, digits, dots, dashes or underscores, e.g. LON-1.' }),
  name: Type.String({ minLength: 1, maxLength: 200, errorMessage: 'Name the testing centre (up to 200 characters).' }),
  timeZone: Type.String({ minLength: 1, maxLength: 64, errorMessage: 'Choose a time zone from the list.' }),
})

export const RoomFields = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, errorMessage: 'Name the room (up to 100 characters).' }),
  capacity: Type.Integer({ minimum: 1, maximum: 10_000, errorMessage: 'Capacity: a whole number of seats from 1 to 10,000.' }),
})

export const ProctorFields = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200, errorMessage: "Enter the proctor's name (up to 200 characters)." }),
  email: Type.String({ format: 'email', maxLength: 254, errorMessage: 'Enter an email address like name@example.org.' }),
  memberId: optionalId('Choose a member of your organisation, or none.'),
  portalProctorId: Type.Optional(
    Type.String({
      pattern: '^[!-~](?:[ -~]{0,62}[!-~])?$',
      errorMessage: 'Portal proctor ID: up to 64 letters, digits and punctuation, as the portal shows it, or empty.',
    }),
  ),
})

const localTime = (what: string) => Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}$', errorMessage: `Enter the ${what} as date and time.` })

export const RescheduleFields = Type.Object({
  roomId: Type.String({ minLength: 1, maxLength: 64, errorMessage: 'Choose a room.' }),
  proctorId: optionalId('Choose a proctor, or none.'),
  start: localTime('start'),
  end: Type.Optional(localTime('end')),
  seats: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, errorMessage: 'Seats: a whole number from 1, or empty for the room’s capacity.' })),
})

export const ExamSessionFields = Type.Object({
  examId: Type.String({ minLength: 1, maxLength: 64, errorMessage: 'Choose an exam.' }),
  ...RescheduleFields.properties,
})

export const CancelFields = Type.Object({
  reason: Type.String({ minLength: 3, maxLength: 500, errorMessage: 'Give a reason for cancelling (3 to 500 characters); candidates are told.' }),
})

const optionalDate = Type.Optional(Type.Union([Type.Literal(''), Type.String({ format: 'date' })]))
const optionalFilterId = Type.Optional(Type.String({ maxLength: 64 }))

export const ExamSessionsQuery = Type.Object({
  from: optionalDate,
  to: optionalDate,
  // Unsafe<…>: TypeBox types a union built from a mapped array as `never`; the schemas themselves are unchanged.
  status: Type.Optional(Type.Unsafe<ExamSessionStatus | ''>(Type.Union([Type.Literal(''), ...EXAM_SESSION_STATUSES.map((status) => Type.Literal(status))]))),
  examId: optionalFilterId,
  centreId: optionalFilterId,
  proctorId: optionalFilterId,
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  ...SortQueryFields,
})

export const CalendarQuery = Type.Object({
  view: Type.Optional(Type.Union([Type.Literal('week'), Type.Literal('month')])),
  date: Type.Optional(Type.String({ format: 'date' })),
  status: ExamSessionsQuery.properties.status,
  examId: optionalFilterId,
  centreId: optionalFilterId,
  proctorId: optionalFilterId,
})

export const ArchivedQuery = Type.Object({
  archived: Type.Optional(Type.Union([Type.Literal(''), Type.Literal('1')])),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
})

export const RegistrationParams = Type.Object({ orgId: Param, examSessionId: Param, registrationId: Param })
export const RegistrationImportParams = Type.Object({ orgId: Param, registrationImportId: Param })

export const CandidateFields = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200, errorMessage: "Enter the candidate's name (up to 200 characters)." }),
  email: Type.String({ format: 'email', maxLength: 254, errorMessage: 'Enter an email address like name@example.org.' }),
})

export const SelfRegistrationFields = Type.Object({
  open: Type.Optional(Type.Literal('on')),
  closesAt: Type.Optional(
    Type.Union([Type.Literal(''), Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}$' })], {
      errorMessage: 'Enter the closing time as date and time, or leave it empty.',
    }),
  ),
})

// JSON API (routes.ts): request and response shapes, shown in the OpenAPI document at /api/docs.

export const OrgParams = Type.Object({ orgId: Param })

const API_LOCAL_TIMES =
  'start and end are wall-clock times in the room’s testing centre’s time zone (YYYY-MM-DDTHH:mm, as on the forms and in CSV files); ' +
  'end defaults to start plus the exam’s duration, seats to the room’s capacity.'
export const ExamSessionApiBody = Type.Object(ExamSessionFields.properties, { description: `A new exam session. ${API_LOCAL_TIMES}` })
export const RescheduleApiBody = Type.Object(RescheduleFields.properties, {
  description: `Where and when the exam session moves to; it needs confirming again. ${API_LOCAL_TIMES}`,
})

const ExamSessionIds = Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 200, description: 'Exam session IDs; all change or none.' })
export const ExamSessionIdsBody = Type.Object({ ids: ExamSessionIds })
export const CancelApiBody = Type.Object({ ids: ExamSessionIds, reason: CancelFields.properties.reason })

export const ResultsApiBody = Type.Object({
  results: Type.Array(
    Type.Object({
      email: Type.String({ minLength: 1, maxLength: 254 }),
      score: Type.Integer({ minimum: 0, maximum: 100_000 }),
    }),
    { minItems: 1, maxItems: 10_000, description: 'Scores of seated candidates; a pass issues the exam’s credential, once per candidate.' },
  ),
})

export const ExamSessionsApiQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Exam sessions starting at or after this instant (RFC 3339)' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Exam sessions starting before this instant (RFC 3339)' })),
  status: Type.Optional(Type.Enum(EXAM_SESSION_STATUSES)),
  examId: optionalFilterId,
  centreId: optionalFilterId,
  proctorId: optionalFilterId,
  page: ExamSessionsQuery.properties.page,
  ...SortQueryFields,
})

export const CatalogApiQuery = Type.Object({
  archived: Type.Optional(Type.Boolean({ description: 'true: archived items instead of active ones' })),
  page: ArchivedQuery.properties.page,
})

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
const DateTime = Type.String({ format: 'date-time' })
const pageOf = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item), total: Type.Integer(), page: Type.Integer(), pageCount: Type.Integer() })

export const ExamView = Type.Object({
  id: Type.String({ examples: ['exam_01jc5d8y4k9q2t8v1n3m6p7r2s'] }),
  code: Type.String(),
  title: Type.String(),
  durationMinutes: Type.Integer(),
  passMark: Type.Integer(),
  maxScore: Type.Integer(),
  achievementId: Nullable(Type.String()),
  checkInOpensMinutesBefore: Type.Integer({ description: 'Minutes before an exam session starts that check-in opens.' }),
  resultsOpenMinutesBefore: Type.Integer({ description: 'Minutes before an exam session starts that results can be recorded.' }),
  archivedAt: Nullable(DateTime),
})
export const ExamPage = pageOf(ExamView)

export const RoomView = Type.Object({ id: Type.String(), name: Type.String(), capacity: Type.Integer(), archivedAt: Nullable(DateTime) })
export const CentreView = Type.Object({
  id: Type.String({ examples: ['ctr_01jc5d8y4k9q2t8v1n3m6p7r2s'] }),
  code: Type.String(),
  name: Type.String(),
  timeZone: Type.String({ description: 'IANA time zone: exam session times at this centre are entered in it' }),
  archivedAt: Nullable(DateTime),
  rooms: Type.Array(RoomView),
})
export const CentrePage = pageOf(CentreView)

export const ProctorView = Type.Object({
  id: Type.String({ examples: ['proc_01jc5d8y4k9q2t8v1n3m6p7r2s'] }),
  name: Type.String(),
  email: Type.String(),
  memberId: Nullable(Type.String()),
  portalProctorId: Nullable(Type.String()),
  archivedAt: Nullable(DateTime),
})
export const ProctorPage = pageOf(ProctorView)

export const ExamSessionView = Type.Object({
  id: Type.String({ examples: ['exs_01jc5d8y4k9q2t8v1n3m6p7r2s'] }),
  status: Type.Enum(EXAM_SESSION_STATUSES),
  startsAt: DateTime,
  endsAt: DateTime,
  timeZone: Type.String({ description: 'The testing centre’s time zone' }),
  seats: Type.Integer(),
  cancellationReason: Nullable(Type.String()),
  examId: Type.String(),
  examCode: Type.String(),
  examTitle: Type.String(),
  centreId: Type.String(),
  centreCode: Type.String(),
  centreName: Type.String(),
  roomId: Type.String(),
  roomName: Type.String(),
  roomCapacity: Type.Integer(),
  proctorId: Nullable(Type.String()),
  proctorName: Nullable(Type.String()),
  portalSessionId: Nullable(Type.String({ description: 'The same exam session at the org’s testing portal, once created there' })),
})
export const ExamSessionPage = pageOf(ExamSessionView)
export const ExamSessionList = Type.Object({ items: Type.Array(ExamSessionView) })

export const RegistrationView = Type.Object({
  id: Type.String({ examples: ['exreg_01jc5d8y4k9q2t8v1n3m6p7r2s'] }),
  examSessionId: Type.String(),
  name: Type.String(),
  email: Type.String(),
  status: Type.Union([Type.Literal('seated'), Type.Literal('waitlisted')]),
  position: Type.Integer({ description: 'Order of registration; the waitlist moves up in this order' }),
  checkedInAt: Nullable(DateTime),
  score: Nullable(Type.Integer()),
  passed: Nullable(Type.Boolean()),
  resultRecordedAt: Nullable(DateTime),
  credentialId: Nullable(Type.String({ description: 'The credential a pass issued' })),
  createdAt: DateTime,
})
export const RegistrationList = Type.Object({ items: Type.Array(RegistrationView) })

export const ResultsOutcome = Type.Object({
  recorded: Type.Integer(),
  passed: Type.Integer(),
  issued: Type.Integer({ description: 'Credentials newly issued for passes (recording the same results again issues none)' }),
})
