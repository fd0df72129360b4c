import { and, desc, eq, inArray } from 'drizzle-orm'
import nodemailer, { type Transporter } from 'nodemailer'
import type { DkimConfig } from '../../config.ts'
import type { Keyring } from '../crypto/keyring.ts'
import type { Db } from '../db/client.ts'
import { insertMany } from '../db/insert-many.ts'
import { newId } from '../ids.ts'
import { restrictedAmong } from '../privacy/restrictions.ts'
import { type MailAttachmentRef, type MailStatus, mailMessages } from './schema.ts'

export interface MailInput {
  to: string
  subject: string
  text: string
  /** An HTML alternative to `text`; the caller escapes what goes into it. */
  html?: string
  attachments?: MailAttachmentRef[]
  orgId?: string | null
  /**
   * Mail the person needs to use their account (confirming an address, resetting a password, unlocking
   * sign-in): sent even while they restrict processing. Every other message to a restricted address
   * is stored as `held` and not sent.
   */
  isEssential?: boolean
  /** Extra headers, stored with the message and sent with it (see `listUnsubscribeHeaders`). */
  headers?: Record<string, string>
}

/**
 * The headers of RFC 2369 and RFC 8058 that every bulk or marketing message carries: mail clients show an
 * unsubscribe button that POSTs `List-Unsubscribe=One-Click` to the https URL, with no sign-in.
 */
export function listUnsubscribeHeaders(url: string, mailto?: string): Record<string, string> {
  return {
    'List-Unsubscribe': [url, ...(mailto ? [`mailto:${mailto}`] : [])].map((target) => `<${target}>`).join(', '),
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  }
}

export interface RenderedAttachment {
  fileName: string
  contentType: string
  content: Uint8Array
}

/** Renders an attachment at send time from what the message names (see MailAttachmentRef). */
export type AttachmentRenderer = (attachment: MailAttachmentRef) => Promise<RenderedAttachment>

export interface OutboxMessage {
  id: string
  toAddress: string
  subject: string
  text: string
  html: string | null
  attachments: MailAttachmentRef[]
  headers: Record<string, string>
  status: string
  createdAt: Date
}

export interface MailerOptions {
  from: string
  smtpUrl: string | undefined
  dkim: DkimConfig | undefined
  enqueueDelivery(db: Db, messageIds: string[]): Promise<void>
  renderAttachment: AttachmentRenderer
  /** Called after the mail server accepted a message. */
  onSent(db: Db, messageId: string): Promise<void>
}

/** SMTP attempts per message before it is marked failed; the delivery job retries one fewer times. */
export const MAX_DELIVERY_ATTEMPTS = 6
/** Messages per insert and per delivery job. */
const BATCH = 500

/**
 * Addresses in the `.test` top-level domain, which RFC 6761 reserves for testing (the demo data's
 * people are @demo.laurel.test), never reach a mail server: they stay in the outbox, so a demo run
 * with SMTP configured sends nothing to anyone.
 */
const isReservedTestAddress = (address: string) => /\.test$/i.test(address.trim())

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 500)

/**
 * Stores each message (bodies encrypted) and, when SMTP is configured, sends it from a job so a slow
 * mail server never holds up a request. Without SMTP the stored messages are the outbox.
 * Attachments are not stored: a message names them, and they are rendered when it is sent.
 */
export class Mailer {
  private readonly transport: Transporter | undefined

  constructor(
    private readonly keyring: Keyring,
    private readonly options: MailerOptions,
  ) {
    this.transport = options.smtpUrl ? nodemailer.createTransport(options.smtpUrl) : undefined
  }

  get usesOutbox(): boolean {
    return !this.transport
  }

  /** Queues a message in the caller's transaction; it is sent only if that transaction commits. */
  async send(db: Db, input: MailInput): Promise<string> {
    const [id] = await this.sendMany(db, [input])
    if (!id) throw new Error('The mail message was not stored.')
    return id
  }

  /** Queues many messages at once (bulk issuance); same guarantees as `send`. */
  async sendMany(db: Db, inputs: MailInput[]): Promise<string[]> {
    const ids: string[] = []
    const restricted = await restrictedAmong(
      db,
      inputs.filter((input) => !input.isEssential).map((input) => input.to),
    )
    const statusOf = (input: MailInput): MailStatus => {
      if (!input.isEssential && restricted.has(input.to.trim().toLowerCase())) return 'held'
      return this.transport && !isReservedTestAddress(input.to) ? 'queued' : 'outbox'
    }
    for (let start = 0; start < inputs.length; start += BATCH) {
      // IDs made here, so each stays paired with its input whatever order the database returns rows in.
      const chunk = inputs.slice(start, start + BATCH).map((input) => ({ id: newId('mail'), input }))
      await insertMany(
        db,
        mailMessages,
        chunk.map(({ id, input }) => ({
          id,
          orgId: input.orgId ?? null,
          toAddress: input.to.toLowerCase(),
          subject: input.subject,
          bodyEncrypted: this.keyring.encrypt(input.text),
          htmlEncrypted: input.html === undefined ? null : this.keyring.encrypt(input.html),
          attachments: input.attachments ?? [],
          headers: input.headers ?? {},
          status: statusOf(input),
        })),
        [],
      )
      const batch = chunk.map(({ id }) => id)
      const toDeliver = chunk.filter(({ input }) => statusOf(input) === 'queued').map(({ id }) => id)
      if (toDeliver.length > 0) await this.options.enqueueDelivery(db, toDeliver)
      ids.push(...batch)
    }
    return ids
  }

  /**
   * Sends the given messages that are still queued; idempotent, so a retried job sends only what is
   * left. A permanent refusal (SMTP 5xx) or the last attempt marks a message failed; a temporary
   * problem leaves it queued and throws, so the job is retried.
   */
  async deliver(db: Db, messageIds: string[]): Promise<void> {
    if (!this.transport || messageIds.length === 0) return
    const messages = await db
      .select()
      .from(mailMessages)
      .where(and(inArray(mailMessages.id, messageIds), eq(mailMessages.status, 'queued')))
    let retry: unknown
    for (const message of messages) {
      const problem = await this.deliverOne(db, this.transport, message)
      retry ??= problem
    }
    if (retry) throw retry
  }

  private async deliverOne(db: Db, transport: Transporter, message: typeof mailMessages.$inferSelect): Promise<unknown> {
    const attempts = message.attempts + 1
    const mark = (values: Partial<typeof mailMessages.$inferInsert>) =>
      db
        .update(mailMessages)
        .set({ attempts, ...values })
        .where(eq(mailMessages.id, message.id))
    let attachments: RenderedAttachment[]
    try {
      attachments = await Promise.all(message.attachments.map((attachment) => this.options.renderAttachment(attachment)))
    } catch (error) {
      await mark({ status: 'failed', error: `The attachment could not be made: ${messageOf(error)}` })
      return undefined
    }
    try {
      await transport.sendMail({
        from: this.options.from,
        to: message.toAddress,
        subject: message.subject,
        headers: message.headers,
        text: await this.keyring.decrypt(message.bodyEncrypted),
        ...(message.htmlEncrypted ? { html: await this.keyring.decrypt(message.htmlEncrypted) } : {}),
        attachments: attachments.map((attachment) => ({
          filename: attachment.fileName,
          contentType: attachment.contentType,
          content: Buffer.from(attachment.content),
        })),
        ...(this.options.dkim ? { dkim: this.options.dkim } : {}),
      })
      await mark({ status: 'sent', sentAt: new Date(), error: null })
      await this.options.onSent(db, message.id)
      return undefined
    } catch (error) {
      const responseCode = (error as { responseCode?: number }).responseCode ?? 0
      const isFinal = responseCode >= 500 || attempts >= MAX_DELIVERY_ATTEMPTS
      await mark({ status: isFinal ? 'failed' : 'queued', error: messageOf(error) })
      return isFinal ? undefined : error
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
        // Emptied by the retention rule in retention.ts.
        text: row.bodyEncrypted === '' ? '' : await this.keyring.decrypt(row.bodyEncrypted),
        html: row.htmlEncrypted ? await this.keyring.decrypt(row.htmlEncrypted) : null,
        attachments: row.attachments,
        headers: row.headers,
        status: row.status,
        createdAt: row.createdAt,
      })),
    )
  }

  async close(): Promise<void> {
    this.transport?.close()
  }
}
