import { parseArgs } from 'node:util'
import type { Command } from '../../../platform/feature.ts'
import { periodInWords } from '../categories.ts'
import { type RetentionReport, runRetention } from './engine.ts'

/** The report as a plain-text table: rule, what, period, count. */
export function formatRetentionReport(report: RetentionReport): string {
  const rows = [
    ['rule', 'what', 'period', report.dryRun ? 'would remove' : 'removed'],
    ...report.outcomes.map(({ rule, count }) => [rule.key, rule.what, `${periodInWords(rule.period)} after ${rule.from}`, String(count)]),
  ]
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? []
  const lines = rows.map((row) =>
    row.map((cell, column) => (column === row.length - 1 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0))).join('  '),
  )
  const total = report.outcomes.reduce((sum, outcome) => sum + outcome.count, 0)
  return `${lines.join('\n')}\n\n${report.dryRun ? `A run now would remove ${total}; nothing was changed.` : `Removed ${total}.`}`
}

export const retentionCommand: Command = {
  name: 'retention',
  summary: 'Apply every declared retention rule now (or --dry-run to see what it would remove)',
  usage:
    'laurel retention [--dry-run]\n\nApplies the retention rule of every privacy provider and prints, per rule, how many rows it removed.\nWith --dry-run, changes nothing and prints what a run would remove. Each run is audited.',
  async run(platform, args) {
    const { values } = parseArgs({ args, options: { 'dry-run': { type: 'boolean', default: false } } })
    const report = await runRetention(platform, { dryRun: values['dry-run'] ?? false, trigger: 'command' })
    console.log(formatRetentionReport(report))
    return 0
  },
}
