import { Type } from 'typebox'
import { defineJob } from '../jobs/jobs.ts'
import type { Platform } from '../platform.ts'
import { MAX_DELIVERY_ATTEMPTS } from './mailer.ts'

export const deliverMailJob = defineJob({
  name: 'mail.deliver',
  title: 'Send email',
  payload: Type.Object({ messageIds: Type.Array(Type.String(), { minItems: 1, maxItems: 1000 }) }),
  retryLimit: MAX_DELIVERY_ATTEMPTS - 1,
  run: ({ services }: { services: Platform }, { messageIds }) => services.mailer.deliver(services.db, messageIds),
})
