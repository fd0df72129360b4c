import type { AchievementInput } from '../../src/features/credentials/service.ts'

/** The achievement every benchmark issues: tags and an alignment included, as real ones have. */
export const BENCH_ACHIEVEMENT: AchievementInput = {
  name: 'Certified Safety Officer',
  description: 'Knows the site safety rules and applies them on every site.',
  criteria: 'Pass the **safety** exam with at least 80 %.',
  tags: ['safety', 'construction'],
  alignments: [{ targetName: 'ISO 45001', targetUrl: 'https://www.iso.org/standard/63787.html' }],
  validityMonths: 24,
}
