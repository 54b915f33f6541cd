import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** The JSON body of every error we answer to machines. */
export interface ErrorBody {
  error: string;
  message: string;
}

/** An error that knows its HTTP status and its machine-readable code. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
  }
}

const FASTIFY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'the body exceeds 1 MB' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'the body must be application/json',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'the body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'the body is not valid JSON' },
};

/** Maps every error to `{ error, message }` with the right status; logs what is our fault. */
export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = describeError(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ status, error: body.error }, body.message);
  void reply.code(status).send(body);
}

function describeError(error: FastifyError): { status: number; body: ErrorBody } {
  if (error instanceof HttpError) {
    return { status: error.statusCode, body: { error: error.code, message: error.message } };
  }
  const known = error.code ? FASTIFY_ERRORS[error.code] : undefined;
  if (known) return { status: known.status, body: { error: known.code, message: known.message } };
  if (error.validation) {
    return { status: 400, body: { error: 'invalid_request', message: error.message } };
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return { status: 400, body: { error: 'invalid_json', message: 'the body is not valid JSON' } };
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return { status: error.statusCode, body: { error: 'invalid_request', message: error.message } };
  }
  return {
    status: 500,
    body: { error: 'internal_error', message: 'unexpected error; see the service logs' },
  };
}
