import type { Platform } from '../platform/platform.ts'
import { createAchievements } from './achievements.ts'
import { backdateCredentials, issueDirectCredentials, recordDemoEvents } from './credentials.ts'
import { createExamHistory } from './exams.ts'
import { createPeople, demoPeople } from './people.ts'
import { DemoRandom, Timeline } from './timeline.ts'

export { DEMO_ADMIN, DEMO_RECIPIENT, isDatabaseEmpty } from './people.ts'

/**
 * The demo organisation as if it had used Laurel for a year, made through the same services as the
 * app: people, two achievements with designs, about 200 credentials (some corrected, revoked or
 * expiring), a year of analytics events, and exam sessions held and coming with their candidates.
 * Every sample account uses the demo password; the recipient's belongs to no organisation.
 */
export async function createDemoData(platform: Platform): Promise<{ orgName: string }> {
  const timeline = new Timeline(platform)
  const random = new DemoRandom(2026)
  const { orgName, owner } = await createPeople(platform)
  const achievements = await createAchievements(timeline.at(timeline.daysAgo(400)), owner)
  const people = demoPeople(random, 190)
  await issueDirectCredentials(timeline, random, owner, achievements, people)
  await createExamHistory(timeline, random, owner, achievements, people.slice(100))
  await backdateCredentials(timeline, owner)
  await recordDemoEvents(timeline, random, owner)
  return { orgName }
}
