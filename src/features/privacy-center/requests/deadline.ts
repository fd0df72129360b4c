import { utcToZoned, zonedToUtc } from '../../../platform/time-zones.ts'

/** The calendar and working days one org counts deadlines by. */
export interface WorkingCalendar {
  timeZone: string
  /** Days off besides Saturdays and Sundays, as YYYY-MM-DD in the time zone. */
  holidays: readonly string[]
}

const DAY_MS = 86_400_000

/** The calendar day (YYYY-MM-DD) of an instant in the zone. */
export const localDay = (instant: Date, timeZone: string) => utcToZoned(instant, timeZone).slice(0, 10)

/** Day arithmetic on calendar days, done in UTC where every day has 24 hours. */
const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10)

function isWorkingDay(day: string, calendar: WorkingCalendar): boolean {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay()
  return weekday !== 0 && weekday !== 6 && !calendar.holidays.includes(day)
}

/**
 * When a request received at `receivedAt` must be answered: the end (midnight) of the `workingDays`-th
 * working day after the day of receipt, counted in the org's zone, so a daylight-saving change moves
 * the instant with the wall clock. The day of receipt itself does not count.
 */
export function dueDate(receivedAt: Date, workingDays: number, calendar: WorkingCalendar): Date {
  let day = localDay(receivedAt, calendar.timeZone)
  for (let counted = 0; counted < workingDays; ) {
    day = addDays(day, 1)
    if (isWorkingDay(day, calendar)) counted++
  }
  const nextMidnight = zonedToUtc(`${addDays(day, 1)}T00:00`, calendar.timeZone)
  if (!nextMidnight) throw new Error(`No midnight after ${day} in ${calendar.timeZone}.`)
  return new Date(nextMidnight.getTime() - 1)
}

/**
 * Working days from today (in the zone) until the due day: 0 on the due day itself; once the
 * deadline has passed, minus the working days since.
 */
export function workingDaysLeft(now: Date, dueAt: Date, calendar: WorkingCalendar): number {
  const today = localDay(now, calendar.timeZone)
  const dueDay = localDay(dueAt, calendar.timeZone)
  return now > dueAt ? -countWorkingDays(dueDay, today, calendar) : countWorkingDays(today, dueDay, calendar)
}

/** Working days after `from` up to and including `to`. */
function countWorkingDays(from: string, to: string, calendar: WorkingCalendar): number {
  let count = 0
  for (let day = addDays(from, 1); day <= to; day = addDays(day, 1)) if (isWorkingDay(day, calendar)) count++
  return count
}

/** "overdue", "due today", "due in 1 working day", "due in 3 working days". */
export function describeDeadline(now: Date, dueAt: Date, calendar: WorkingCalendar): { label: string; isOverdue: boolean; isNearDue: boolean } {
  const left = workingDaysLeft(now, dueAt, calendar)
  if (now > dueAt) return { label: 'overdue', isOverdue: true, isNearDue: false }
  const label = left === 0 ? 'due today' : `due in ${left} working day${left === 1 ? '' : 's'}`
  return { label, isOverdue: false, isNearDue: left <= NEAR_DUE_WORKING_DAYS }
}

/** A request this close to its deadline is flagged on the dashboard and its privacy contact emailed. */
export const NEAR_DUE_WORKING_DAYS = 2
