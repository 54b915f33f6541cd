import { describe, expect, it } from 'vitest';
import { checkBearer } from '../../src/admin/bearer-auth.ts';

const TOKEN = 'fake-admin-token-0123456789';

describe('checkBearer', () => {
  it('accepts the exact token, whatever the case of the scheme', () => {
    expect(checkBearer(`Bearer ${TOKEN}`, TOKEN)).toBe('ok');
    expect(checkBearer(`bearer ${TOKEN}`, TOKEN)).toBe('ok');
    expect(checkBearer(`BEARER  ${TOKEN} `, TOKEN)).toBe('ok');
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['a blank header', '  '],
  ])('calls %s missing credentials', (_name, header) => {
    expect(checkBearer(header, TOKEN)).toBe('missing');
  });

  it.each([
    ['another scheme', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`],
    ['the token without scheme', TOKEN],
    ['the scheme glued to the token', `Bearer${TOKEN}`],
  ])('tells %s from missing credentials: not a bearer token', (_name, header) => {
    expect(checkBearer(header, TOKEN)).toBe('not_bearer');
  });

  // https://www.rfc-editor.org/rfc/rfc6750#section-2.1: `Bearer` 1*SP b64token
  it.each([
    ['the scheme alone', 'Bearer'],
    ['the scheme and spaces', 'Bearer   '],
    ['a token with spaces', 'Bearer correct horse battery staple'],
    ['two tokens', `Bearer ${TOKEN} ${TOKEN}`],
    ['a character no token holds', `Bearer ${TOKEN}!`],
    ['= before the end', 'Bearer fake=admin-token'],
  ])('calls %s a malformed token', (_name, header) => {
    expect(checkBearer(header, TOKEN)).toBe('malformed');
  });

  it.each([
    ['a different token of the same length', TOKEN.replace(/9$/, '8')],
    ['a shorter token', TOKEN.slice(0, -1)],
    ['a longer token', `${TOKEN}0`],
    ['the token in another case', TOKEN.toUpperCase()],
    ['a prefix of the token', 'fake'],
    ['a well-formed token with padding', `${TOKEN}==`],
  ])('refuses %s', (_name, presented) => {
    expect(checkBearer(`Bearer ${presented}`, TOKEN)).toBe('invalid');
  });
});
