import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.ts';

export type BearerCheck = 'ok' | 'missing' | 'invalid';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
const REALM = 'Bearer realm="etm-terrain"';

/**
 * Whether an `Authorization` header carries the expected bearer token. Both sides are hashed
 * first so that `timingSafeEqual` compares equal lengths: neither the token nor its length leaks
 * through the time the comparison takes.
 */
export function checkBearer(header: string | undefined, expected: string): BearerCheck {
  const presented = header === undefined ? undefined : BEARER.exec(header)?.[1];
  if (presented === undefined) return 'missing';
  return timingSafeEqual(sha256(presented), sha256(expected)) ? 'ok' : 'invalid';
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/** An onRequest hook answering 401 (RFC 6750) unless the request carries `token`. */
export function bearerGuard(token: string): Guard {
  return async (request, reply) => {
    const check = checkBearer(request.headers.authorization, token);
    if (check === 'ok') return undefined;
    // The reason only: the header itself never reaches a log line.
    request.log.warn({ reason: check }, 'bearer token refused');
    const challenge = check === 'invalid' ? `${REALM}, error="invalid_token"` : REALM;
    const message =
      check === 'invalid'
        ? 'the bearer token is not valid'
        : 'this route needs an Authorization: Bearer <ADMIN_TOKEN> header';
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
