/**
 * Named errors with an HTTP status and a stable code. The HTTP layer and the
 * WebSocket error frames map them the same way. Messages say what to do.
 * sfu/ and hls-bridge/ throw these too, so every layer speaks one error language.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, code = 'bad_request') {
    super(400, code, message);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'missing or wrong stream key: send "Authorization: Bearer <streamKey>"') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(404, 'not_found', message);
  }
}

/** The resource exists but is in a state that forbids the request (e.g. a second publisher). */
export class InvalidStateError extends AppError {
  constructor(message: string, code = 'invalid_state') {
    super(409, code, message);
  }
}

/** The resource exists but does not support this method; `allow` lists the ones it does. */
export class MethodNotAllowedError extends AppError {
  readonly allow: readonly string[];
  constructor(method: string, allow: readonly string[]) {
    super(405, 'method_not_allowed', `${method} is not supported here; use ${allow.join(', ')}`);
    this.allow = allow;
  }
}

/** A conditional request (If-Match) named a version that is not the current one. */
export class PreconditionFailedError extends AppError {
  constructor(message: string) {
    super(412, 'precondition_failed', message);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string) {
    super(413, 'payload_too_large', message);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(message: string) {
    super(415, 'unsupported_media_type', message);
  }
}

/** Well-formed but asks for something this server does not do (e.g. an ICE restart). */
export class UnsupportedError extends AppError {
  constructor(message: string, code = 'unsupported') {
    super(422, code, message);
  }
}

export class TooManyRequestsError extends AppError {
  constructor(message: string) {
    super(429, 'rate_limited', message);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message: string, code = 'unavailable') {
    super(503, code, message);
  }
}

/** Maps anything thrown to an AppError; unknown errors become a 500 that hides internals. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError(500, 'internal', 'internal server error; the server log has the details');
}
