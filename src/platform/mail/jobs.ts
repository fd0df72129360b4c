import { Type } from 'typebox'
import { defineJob } from '../jobs/jobs.ts'
import type { Platform } from '../platform.ts'

export const deliverMailJob = defineJob({
  name: 'mail.deliver',
  title: 'Send an email',
  payload: Type.Object({ messageId: Type.String() }),
  retryLimit: 5,
  run: ({ services }: { services: Platform }, { messageId }) => services.mailer.deliver(services.db, messageId),
})
