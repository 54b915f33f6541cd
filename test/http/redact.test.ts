import { describe, expect, it } from 'vitest';
import { describeCause, errorCode, redactedError, redactSecrets } from '../../src/http/redact.ts';

const TOKEN = '123456:TEST-fake-token-not-real';

describe('redactSecrets', () => {
  it('removes a secret in its plain, URL-encoded and base64 (Basic) forms', () => {
    const password = 'p@ss word/1';
    const basic = Buffer.from(`etm:${password}`).toString('base64');
    const text = `a ${password} b ${encodeURIComponent(password)} c Basic ${basic}`;
    expect(redactSecrets(text, [password, `etm:${password}`])).toBe(
      'a [redacted] b [redacted] c Basic [redacted]',
    );
  });

  it('removes every http(s) URL, since a Telegram URL carries the token', () => {
    const text = `a ${TOKEN} b http://127.0.0.1:8081/file/x d`;
    expect(redactSecrets(text, [TOKEN])).toBe('a [redacted] b [url] d');
  });

  it('leaves a text without secrets alone and ignores empty secrets', () => {
    expect(redactSecrets('nothing', ['', 'x-not-there'])).toBe('nothing');
  });
});

describe('redactedError', () => {
  it('copies name, code, message and causes without secrets, and drops other properties', () => {
    const root = Object.assign(new Error(`connect to bot${TOKEN}`), { code: 'ECONNREFUSED', input: TOKEN });
    const raw = Object.assign(new TypeError('fetch failed', { cause: root }), {
      headers: { authorization: TOKEN },
    });
    const copy = redactedError(raw, [TOKEN]);
    expect(copy.name).toBe('TypeError');
    expect(errorCode(copy.cause)).toBe('ECONNREFUSED');
    expect(describeCause(copy)).toBe(
      'TypeError: fetch failed <- Error ECONNREFUSED: connect to bot[redacted]',
    );
    expect(JSON.stringify(copy, Object.getOwnPropertyNames(copy))).not.toContain(TOKEN);
    expect(Object.keys(copy.cause as object)).toEqual(['name', 'code']);
  });
});
