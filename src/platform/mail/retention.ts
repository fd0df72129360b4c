import { and, inArray, ne } from 'drizzle-orm'
import type { RetentionRule } from '../privacy/registry.ts'
import { countRows } from '../privacy/retention.ts'
import { mailMessages } from './schema.ts'

/**
 * A message's text holds one-time links and whatever it told the person, and is needed only until it is
 * read: 90 days after it was written (orgs may choose 30 days to two years) it is emptied. The row stays
 * (recipient, subject, status, times) as the record of what was sent; the outbox shows it without text.
 */
export const mailBodiesRule: RetentionRule = {
  key: 'mail.message-bodies',
  action: 'delete',
  what: 'the text of sent, failed and outbox messages',
  from: 'the message was written',
  period: { days: 90 },
  boundsDays: { min: 30, max: 730 },
  async apply(db, { isPastCutoff, dryRun }) {
    const where = and(
      inArray(mailMessages.status, ['sent', 'failed', 'outbox']),
      ne(mailMessages.bodyEncrypted, ''),
      isPastCutoff(mailMessages.createdAt, mailMessages.orgId),
    )
    if (dryRun) return countRows(db, mailMessages, where)
    const result = await db.update(mailMessages).set({ bodyEncrypted: '', htmlEncrypted: null }).where(where)
    return result.rowCount ?? 0
  },
}
