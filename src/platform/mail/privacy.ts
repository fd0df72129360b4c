import { eq } from 'drizzle-orm'
import { definePrivacyProvider } from '../privacy/registry.ts'
import { mailMessages } from './schema.ts'

export const mailPrivacy = definePrivacyProvider({
  name: 'mail',
  stores: [
    {
      table: 'mail_messages',
      columns: ['to_address', 'subject', 'body_encrypted', 'html_encrypted', 'error', 'headers'],
      purpose: 'Sending account and organisation emails',
      legalBasis: 'contract',
      retention: 'Until erased on request',
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
