import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { DomainError, type DomainErrorKind, TooManyError } from '../errors.ts'
import { isApiRequest } from './auth.ts'

const STATUS_BY_KIND = {
  not_found: 404,
  conflict: 409,
  invalid: 422,
  malformed: 400,
  forbidden: 403,
  unauthorized: 401,
  too_many: 429,
} satisfies Record<DomainErrorKind, number>

const TITLE_BY_STATUS: Record<number, string> = {
  400: 'Bad request',
  401: 'Sign-in required',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Too large',
  415: 'Unsupported media type',
  422: 'Invalid input',
  429: 'Too many requests',
  500: 'Something went wrong',
}

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  code: string
  errors?: { field: string; message: string }[]
}

export type HtmlErrorRenderer = (request: FastifyRequest, reply: FastifyReply, problem: Problem) => Promise<unknown>

/** Maps every error to RFC 9457 problem+json for the API and an error page for browsers; never a stack trace. */
export function createErrorHandler(renderHtml: HtmlErrorRenderer) {
  return async function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
    const problem = toProblem(error, request)
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed')
    if (error instanceof TooManyError) reply.header('retry-after', String(error.retryAfterSeconds))
    return sendProblem(request, reply, problem, renderHtml)
  }
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem, renderHtml: HtmlErrorRenderer) {
  reply.status(problem.status)
  if (isApiRequest(request) || !request.headers.accept?.includes('text/html')) {
    return reply.type('application/problem+json').send(problem)
  }
  return renderHtml(request, reply, problem)
}

export function problemFor(status: number, request: FastifyRequest, code: string, detail: string): Problem {
  return { type: 'about:blank', title: TITLE_BY_STATUS[status] ?? 'Error', status, detail, instance: request.id, code }
}

function toProblem(error: FastifyError | Error, request: FastifyRequest): Problem {
  if (error instanceof DomainError) {
    const problem = problemFor(STATUS_BY_KIND[error.kind], request, error.code, error.message)
    if (error.problemType) problem.type = error.problemType
    if (Object.keys(error.fields).length > 0) {
      problem.errors = Object.entries(error.fields).map(([field, message]) => ({ field, message }))
    }
    return problem
  }
  const fastifyError = error as FastifyError
  if (fastifyError.validation) {
    const problem = problemFor(400, request, 'invalid_request', `The request is invalid: ${fastifyError.message}.`)
    problem.errors = fastifyError.validation.map((issue) => ({
      field: issue.instancePath.replace(/^\//, '').replaceAll('/', '.') || String((issue.params as { missingProperty?: string }).missingProperty ?? ''),
      message: issue.message ?? 'is invalid',
    }))
    return problem
  }
  const status = fastifyError.statusCode
  if (status && status >= 400 && status < 500) {
    const code = (fastifyError.code ?? 'bad_request').toLowerCase()
    return problemFor(status, request, code, safeClientMessage(status, fastifyError.message))
  }
  return problemFor(500, request, 'internal_error', `An unexpected error occurred. Quote ${request.id} when asking for help.`)
}

/** Framework 4xx messages are safe to show, except CSRF ones, which we reword to say what to do. */
function safeClientMessage(status: number, message: string): string {
  if (/csrf/i.test(message)) return 'The form expired or was sent from another site. Reload the page and try again.'
  if (status === 413) return 'The request body is too large.'
  return message
}
