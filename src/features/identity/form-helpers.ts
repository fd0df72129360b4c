import type { FastifyReply, FastifyRequest } from 'fastify'
import { DomainError, InvalidError } from '../../platform/errors.ts'
import type { FormState } from '../../platform/ui/components.tsx'

export const originOf = (request: FastifyRequest) => ({ ip: request.ip, userAgent: request.headers['user-agent'] ?? null })

/** Only same-site paths, so a crafted link cannot send people elsewhere after sign-in. */
export function safeNext(next: string | undefined): string {
  return next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/'
}

/** Runs a form action; a domain error re-renders the form with the message next to its field. */
export async function withFormErrors(
  reply: FastifyReply,
  values: Record<string, string>,
  action: () => Promise<unknown>,
  render: (state: FormState) => Promise<unknown>,
) {
  try {
    return await action()
  } catch (error) {
    if (!(error instanceof DomainError) || error.kind === 'not_found') throw error
    const fields = error instanceof InvalidError && Object.keys(error.fields).length > 0 ? error.fields : { form: error.message }
    reply.status(error.kind === 'invalid' ? 422 : error.kind === 'conflict' ? 409 : 403)
    return render({ values, errors: fields })
  }
}
