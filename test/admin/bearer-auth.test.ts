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
    ['the scheme alone', 'Bearer'],
    ['another scheme', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`],
    ['the token without scheme', TOKEN],
  ])('calls %s missing credentials', (_name, header) => {
    expect(checkBearer(header, TOKEN)).toBe('missing');
  });

  it.each([
    ['a different token of the same length', TOKEN.replace(/9$/, '8')],
    ['a shorter token', TOKEN.slice(0, -1)],
    ['a longer token', `${TOKEN}0`],
    ['the token in another case', TOKEN.toUpperCase()],
    ['a prefix of the token', 'fake'],
  ])('refuses %s', (_name, presented) => {
    expect(checkBearer(`Bearer ${presented}`, TOKEN)).toBe('invalid');
  });
});
