import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock } from '../../../platform/clock.ts'
import { describeDeadline, dueDate, workingDaysLeft } from './deadline.ts'

const utc = { timeZone: 'UTC', holidays: [] }

describe('request deadlines', () => {
  it('counts seven working days after the day of receipt, skipping the weekends', () => {
    const due = dueDate(new Date('2026-11-27T10:00:00Z'), 7, utc)
    assert.equal(due.toISOString(), '2026-12-08T23:59:59.999Z', 'received Friday 27 November, due at the end of Tuesday 8 December')
  })

  it('skips the org’s holidays', () => {
    const due = dueDate(new Date('2026-11-27T10:00:00Z'), 7, { timeZone: 'UTC', holidays: ['2026-12-01', '2026-12-05'] })
    assert.equal(due.toISOString(), '2026-12-09T23:59:59.999Z', 'a weekday holiday adds a day; one on a Saturday changes nothing')
  })

  it('counts the day of receipt in the org’s zone', () => {
    // 23:30 UTC on Monday 19 October is already Tuesday in London (summer time): the count starts a day later.
    const receivedAt = new Date('2026-10-19T23:30:00Z')
    assert.equal(dueDate(receivedAt, 1, utc).toISOString(), '2026-10-20T23:59:59.999Z')
    assert.equal(dueDate(receivedAt, 1, { timeZone: 'Europe/London', holidays: [] }).toISOString(), '2026-10-21T22:59:59.999Z')
  })

  it('ends at local midnight across a daylight-saving change', () => {
    // London leaves summer time on 25 October 2026: received in BST, due in GMT.
    const london = dueDate(new Date('2026-10-23T09:00:00Z'), 7, { timeZone: 'Europe/London', holidays: [] })
    assert.equal(london.toISOString(), '2026-11-03T23:59:59.999Z')
    // New York leaves daylight time on 1 November 2026: received in EDT (UTC−4), due in EST (UTC−5).
    const newYork = dueDate(new Date('2026-10-29T16:00:00Z'), 7, { timeZone: 'America/New_York', holidays: [] })
    assert.equal(newYork.toISOString(), '2026-11-10T04:59:59.999Z')
    // And into summer time: New York springs forward on 8 March 2026 (EST → EDT).
    const spring = dueDate(new Date('2026-03-05T15:00:00Z'), 3, { timeZone: 'America/New_York', holidays: [] })
    assert.equal(spring.toISOString(), '2026-03-11T03:59:59.999Z')
  })

  it('tells the working days left on a test clock, then overdue', () => {
    const calendar = { timeZone: 'America/New_York', holidays: ['2026-11-26'] }
    const clock = new ManualClock(new Date('2026-11-20T15:00:00Z'))
    const due = dueDate(clock.now(), 7, calendar)
    assert.equal(due.toISOString(), '2026-12-03T04:59:59.999Z', 'Thanksgiving is skipped: due Wednesday 2 December, New York time')
    assert.equal(workingDaysLeft(clock.now(), due, calendar), 7)
    assert.deepEqual(describeDeadline(clock.now(), due, calendar), { label: 'due in 7 working days', isOverdue: false, isNearDue: false })
    clock.advance(10 * 86_400_000) // Monday 30 November
    assert.deepEqual(describeDeadline(clock.now(), due, calendar), { label: 'due in 2 working days', isOverdue: false, isNearDue: true })
    clock.advance(2 * 86_400_000) // Wednesday 2 December, 10:00 in New York
    assert.deepEqual(describeDeadline(clock.now(), due, calendar), { label: 'due today', isOverdue: false, isNearDue: true })
    clock.advance(86_400_000)
    assert.deepEqual(describeDeadline(clock.now(), due, calendar), { label: 'overdue', isOverdue: true, isNearDue: false })
    assert.equal(workingDaysLeft(clock.now(), due, calendar), -1)
  })
})
