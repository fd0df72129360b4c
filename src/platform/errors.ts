export type DomainErrorKind = 'not_found' | 'conflict' | 'invalid' | 'malformed' | 'forbidden' | 'unauthorized' | 'too_many'

/**
 * An error a service throws when a request cannot proceed; the HTTP layer maps `kind` to a status.
 * `fields` maps form fields to what to fix, shown next to each field and listed in problem+json.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind
  /** The problem+json `type`: a URI naming the kind of problem, when a specification defines one. */
  problemType?: string
  constructor(
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message)
  }
}

/** The entity does not exist, or belongs to another organisation (the two are indistinguishable by design). */
export class NotFoundError extends DomainError {
  readonly kind = 'not_found'
  constructor(entity: string, id?: string) {
    super(`${entity}_not_found`, id ? `No ${entity.replaceAll('_', ' ')} with id ${id}.` : `No such ${entity.replaceAll('_', ' ')}.`)
  }
}

export class ConflictError extends DomainError {
  readonly kind = 'conflict'
}

/** Input is well-formed but breaks a business rule. */
export class InvalidError extends DomainError {
  readonly kind = 'invalid'
}

/** The request is structurally wrong (400), as opposed to well-formed input that breaks a rule (422). */
export class MalformedError extends DomainError {
  readonly kind = 'malformed'
}

export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden'
}

export class UnauthorizedError extends DomainError {
  readonly kind = 'unauthorized'
}

export class TooManyError extends DomainError {
  readonly kind = 'too_many'
  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(code, message)
  }
}
