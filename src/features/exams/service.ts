// The exams feature's public surface: registrations, results and portal sync use exam sessions only through these functions.

export { confirmExamSessionImport, type ExamSessionImportPreview, previewExamSessionImport } from './bulk.ts'
export {
  activeChoices,
  type CentreInput,
  type Exam,
  type ExamInput,
  getCentre,
  getExam,
  getProctor,
  getRoom,
  listCentres,
  listExams,
  listProctors,
  listRooms,
  type Proctor,
  type ProctorInput,
  type Room,
  type RoomInput,
  saveCentre,
  saveExam,
  saveProctor,
  saveRoom,
  setArchived,
  type TestCentre,
} from './catalog.ts'
export { type Catalog, checkPlanned, loadCatalog, type PlannedSession, planFromLocalTimes, type ScheduleProblem } from './scheduling.ts'
export {
  cancelExamSessions,
  confirmExamSessions,
  createExamSession,
  type ExamSession,
  type ExamSessionFilters,
  type ExamSessionInput,
  type ExamSessionView,
  getExamSession,
  getExamSessionView,
  listExamSessions,
  listExamSessionsBetween,
  rescheduleExamSession,
} from './sessions.ts'
