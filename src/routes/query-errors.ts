import type { FastifySchemaValidationError, SchemaErrorDataVar } from 'fastify/types/schema.js';
import { DATE_BOUND_PATTERN } from '../admin/date-range.ts';

/** What a `from`/`to` bound must look like, for a person: the schema's own message is its regex. */
export const DATE_BOUND_WORDS =
  'a day such as 2026-03-25 (the whole day in the report time zone) or a date-time with its offset such as 2026-03-25T14:30:00Z';

/**
 * Fastify's validation messages (`querystring/type must be equal to one of the allowed values`),
 * except a date bound in the wrong format, which is said in words rather than as a pattern.
 */
export function validationMessageInWords(
  errors: FastifySchemaValidationError[],
  dataVar: SchemaErrorDataVar,
): Error {
  const messages = errors.map((error) => {
    const field = error.instancePath.replace(/^\//u, '');
    if (error.keyword === 'pattern' && error.params.pattern === DATE_BOUND_PATTERN) {
      return `${field} must be ${DATE_BOUND_WORDS}`;
    }
    return `${dataVar}${error.instancePath} ${error.message ?? 'is invalid'}`;
  });
  return new Error(messages.join(', '));
}
