/**
 * Fields whose values never reach a log line, at any depth: Telegram's token, Nextcloud's
 * password, HTTP credentials.
 */
export const SECRET_FIELDS = ['token', 'password', 'adminToken', 'authorization', 'x-admin-token'] as const;

export const REDACTED = '[redacted]';

// A secret field's name as a JSON key. In a line of JSON an unescaped quote that starts such a run
// can only open a key (a closing quote is followed by , : } ] or a space), so a match inside a
// string value is impossible; a key merely ending in one (`"a\"token":`) is redacted too: harmless.
const SECRET_KEY = new RegExp(`"(?:${SECRET_FIELDS.join('|')})":`, 'g');

/**
 * A log line (one JSON object) with the value of every secret field replaced by "[redacted]",
 * whatever its type and however deep. Runs on the line pino has written (its `streamWrite` hook,
 * https://github.com/pinojs/pino/blob/main/docs/api.md#streamwrite), so it also sees what the
 * serializers made of an error or a request. Linear in the line's length: a line without a
 * secret field costs one search.
 *
 * Instead of pino's `redact` paths: a path starting with a wildcard (`*.password`, to reach any
 * object logged) makes pino run the redaction on every field of every line, primitives included:
 * at the `info` level a request's child logger and completion line took 16 µs, 5 µs this way
 * (bench/README.md).
 */
export function redactSecretFields(line: string): string {
  SECRET_KEY.lastIndex = 0;
  let match = SECRET_KEY.exec(line);
  if (!match) return line;
  let redacted = '';
  let copiedUpTo = 0;
  while (match) {
    const valueStart = SECRET_KEY.lastIndex;
    const valueEnd = endOfValue(line, valueStart);
    redacted += line.slice(copiedUpTo, valueStart) + JSON.stringify(REDACTED);
    copiedUpTo = valueEnd;
    SECRET_KEY.lastIndex = valueEnd;
    match = SECRET_KEY.exec(line);
  }
  return redacted + line.slice(copiedUpTo);
}

/**
 * Where the JSON value starting at `start` ends: after its closing quote or bracket, or its last
 * character. Spaces before it (pino writes none) are skipped as part of it.
 */
function endOfValue(text: string, start: number): number {
  let depth = 0;
  for (let index = start; index < text.length; index++) {
    const char = text[index]!;
    if (char === '"') {
      index = endOfString(text, index) - 1;
      if (depth === 0) return index + 1;
    } else if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') {
      // A scalar's end is its object's or array's closing bracket.
      if (depth === 0) return index;
      depth--;
      if (depth === 0) return index + 1;
    } else if (char === ',' && depth === 0) return index;
  }
  return text.length;
}

/** After the closing quote of the string whose opening quote is at `start`. */
function endOfString(text: string, start: number): number {
  for (let index = start + 1; index < text.length; index++) {
    if (text[index] === '\\') index++;
    else if (text[index] === '"') return index + 1;
  }
  return text.length;
}
