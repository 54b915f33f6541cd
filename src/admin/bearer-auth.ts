import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.ts';

/**
 * - `missing`: no Authorization header;
 * - `not_bearer`: another scheme (`Basic …`), or the token without `Bearer `;
 * - `malformed`: `Bearer` followed by nothing, or by what no token can be (a space inside…);
 * - `invalid`: a well-formed token, not the expected one.
 */
export type BearerCheck = 'ok' | 'missing' | 'not_bearer' | 'malformed' | 'invalid';

/** The scheme, case-insensitive, then its credentials after one or more spaces. */
const BEARER = /^Bearer(?:[ \t]+(.*?))?[ \t]*$/i;
/**
 * What a bearer token is made of, RFC 6750's b64token
 * (https://www.rfc-editor.org/rfc/rfc6750#section-2.1); ADMIN_TOKEN is held to it (src/config.ts).
 */
const B64TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;
const REALM = 'Bearer realm="etm-terrain"';

/**
 * Whether an `Authorization` header carries the expected bearer token. Both sides are hashed
 * first so that `timingSafeEqual` compares equal lengths: neither the token nor its length leaks
 * through the time the comparison takes.
 */
export function checkBearer(header: string | undefined, expected: string): BearerCheck {
  if (header === undefined || header.trim() === '') return 'missing';
  const match = BEARER.exec(header.trim());
  if (!match) return 'not_bearer';
  const presented = match[1];
  if (presented === undefined || !B64TOKEN.test(presented)) return 'malformed';
  return timingSafeEqual(sha256(presented), sha256(expected)) ? 'ok' : 'invalid';
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * What the 401 says for each refusal, and its challenge: `invalid_token` for a token that is
 * wrong or malformed, no error code when no bearer token came at all
 * (https://www.rfc-editor.org/rfc/rfc6750#section-3.1).
 */
const REFUSALS: Record<
  Exclude<BearerCheck, 'ok'>,
  { readonly challenge: string; readonly message: string }
> = {
  missing: {
    challenge: REALM,
    message: 'this route needs an Authorization: Bearer <ADMIN_TOKEN> header',
  },
  not_bearer: {
    challenge: REALM,
    message:
      'the Authorization header does not start with Bearer: this route needs Authorization: Bearer <ADMIN_TOKEN>',
  },
  malformed: {
    challenge: `${REALM}, error="invalid_token"`,
    message:
      'the bearer token is malformed: after "Bearer " comes one token of letters, digits and - . _ ~ + / (= only at the end), no space',
  },
  invalid: {
    challenge: `${REALM}, error="invalid_token"`,
    message: 'the bearer token is not valid',
  },
};

type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/** An onRequest hook answering 401 (RFC 6750) unless the request carries `token`. */
export function bearerGuard(token: string): Guard {
  return async (request, reply) => {
    const check = checkBearer(request.headers.authorization, token);
    if (check === 'ok') return undefined;
    // The reason only: the header itself never reaches a log line.
    request.log.warn({ reason: check }, 'bearer token refused');
    const { challenge, message } = REFUSALS[check];
    return reply.code(401).header('www-authenticate', challenge).send({ error: 'unauthorized', message });
  };
}

/**
 * The admin API's guard: without `ADMIN_TOKEN` the API is off and answers exactly like a route
 * that does not exist, so an unconfigured service shows nothing; with it, a bearer guard.
 */
export function adminGuard(token: string | undefined): Guard {
  if (token !== undefined) return bearerGuard(token);
  return async (request) => {
    throw new HttpError(404, 'not_found', `no route for ${request.method} ${request.url.split('?')[0]}`);
  };
}
