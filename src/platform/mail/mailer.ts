import { desc, eq } from 'drizzle-orm'
import nodemailer, { type Transporter } from 'nodemailer'
import type { Keyring } from '../crypto/keyring.ts'
import type { Db } from '../db/client.ts'
import { mailMessages } from './schema.ts'

export interface MailInput {
  to: string
  subject: string
  text: string
  orgId?: string | null
}

export interface OutboxMessage {
  id: string
  toAddress: string
  subject: string
  text: string
  status: string
  createdAt: Date
}

/**
 * Stores each message (body encrypted) and, when SMTP is configured, sends it from a job so a slow
 * mail server never holds up a request. Without SMTP the stored messages are the outbox.
 */
export class Mailer {
  private readonly transport: Transporter | undefined

  constructor(
    private readonly keyring: Keyring,
    private readonly from: string,
    smtpUrl: string | undefined,
    private readonly enqueueDelivery: (db: Db, messageId: string) => Promise<void>,
  ) {
    this.transport = smtpUrl ? nodemailer.createTransport(smtpUrl) : undefined
  }

  get usesOutbox(): boolean {
    return !this.transport
  }

  /** Queues a message in the caller's transaction; it is sent only if that transaction commits. */
  async send(db: Db, input: MailInput): Promise<string> {
    const [message] = await db
      .insert(mailMessages)
      .values({
        orgId: input.orgId ?? null,
        toAddress: input.to.toLowerCase(),
        subject: input.subject,
        bodyEncrypted: this.keyring.encrypt(input.text),
        status: this.transport ? 'queued' : 'outbox',
      })
      .returning({ id: mailMessages.id })
    if (!message) throw new Error('The mail message was not stored.')
    if (this.transport) await this.enqueueDelivery(db, message.id)
    return message.id
  }

  /** Sends one queued message over SMTP; idempotent, so a retried job never sends twice. */
  async deliver(db: Db, messageId: string): Promise<void> {
    const [message] = await db.select().from(mailMessages).where(eq(mailMessages.id, messageId))
    if (message?.status !== 'queued' || !this.transport) return
    try {
      await this.transport.sendMail({
        from: this.from,
        to: message.toAddress,
        subject: message.subject,
        text: await this.keyring.decrypt(message.bodyEncrypted),
      })
      await db.update(mailMessages).set({ status: 'sent', sentAt: new Date(), error: null }).where(eq(mailMessages.id, messageId))
    } catch (error) {
      await db
        .update(mailMessages)
        .set({ error: error instanceof Error ? error.message.slice(0, 500) : 'unknown error' })
        .where(eq(mailMessages.id, messageId))
      throw error
    }
  }

  async listOutbox(db: Db, options: { to?: string; limit?: number } = {}): Promise<OutboxMessage[]> {
    const rows = await db
      .select()
      .from(mailMessages)
      .where(options.to ? eq(mailMessages.toAddress, options.to.toLowerCase()) : undefined)
      .orderBy(desc(mailMessages.createdAt), desc(mailMessages.id))
      .limit(options.limit ?? 50)
    return Promise.all(
      rows.map(async (row) => ({
        id: row.id,
        toAddress: row.toAddress,
        subject: row.subject,
        text: await this.keyring.decrypt(row.bodyEncrypted),
        status: row.status,
        createdAt: row.createdAt,
      })),
    )
  }

  async close(): Promise<void> {
    this.transport?.close()
  }
}
