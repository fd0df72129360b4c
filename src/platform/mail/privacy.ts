import { eq } from 'drizzle-orm'
import { definePrivacyProvider } from '../privacy/registry.ts'
import { mailBodiesRule } from './retention.ts'
import { mailMessages } from './schema.ts'

export const mailPrivacy = definePrivacyProvider({
  name: 'mail',
  stores: [
    {
      table: 'mail_messages',
      columns: ['to_address', 'subject', 'body_encrypted', 'html_encrypted', 'error', 'headers'],
      purpose: 'Sending account and organisation emails',
      legalBasis: 'contract',
      retention:
        'The text of a message is deleted 90 days after it was written (the organisation may choose 30 days to two years); recipient, subject and status stay as the record of what was sent, until erased on request',
      rules: [mailBodiesRule],
    },
  ],
  notPersonal: [
    {
      table: 'mail_messages',
      columns: ['id', 'org_id', 'status', 'attachments'],
      reason: 'Random IDs, the delivery state and the names of attachments rendered at send time',
    },
  ],
  retainedAfterErasure: [],
  async export(db, subject) {
    const rows = await db.select().from(mailMessages).where(eq(mailMessages.toAddress, subject.email))
    return { messages: rows.map(({ id, subject: title, status, createdAt, sentAt }) => ({ id, subject: title, status, createdAt, sentAt, to: subject.email })) }
  },
  async erase(db, subject) {
    await db.delete(mailMessages).where(eq(mailMessages.toAddress, subject.email))
  },
})
