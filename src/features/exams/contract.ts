import { Type } from 'typebox'
import { EXAM_SESSION_STATUSES } from './schema.ts'
import { EXAM_SESSION_SORTS } from './sessions.ts'

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
  status: Type.Optional(Type.Union([Type.Literal(''), ...EXAM_SESSION_STATUSES.map((status) => Type.Literal(status))])),
  examId: optionalFilterId,
  centreId: optionalFilterId,
  proctorId: optionalFilterId,
  sort: Type.Optional(Type.Union(EXAM_SESSION_SORTS.map((sort) => Type.Literal(sort)))),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
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
