import { inspect } from 'node:util';
import { expect } from 'vitest';
import { STAND_IN_TOKEN } from '../../stand-ins/telegram-stand-in.ts';

/** The secret half of the fake token: finding it anywhere means the token leaked. */
const TOKEN_SECRET = STAND_IN_TOKEN.split(':')[1]!;

/** Every way an error reaches a log: message, String(), JSON, inspect (causes and stacks included). */
export function expectNoSecretIn(error: unknown): void {
  const renderings = [String(error), JSON.stringify(error), inspect(error, { depth: 10 })];
  let current: unknown = error;
  while (current instanceof Error) {
    renderings.push(current.message, current.stack ?? '', JSON.stringify(current));
    current = current.cause;
  }
  for (const text of renderings) {
    expect(text).not.toContain(TOKEN_SECRET);
    expect(text).not.toContain(encodeURIComponent(STAND_IN_TOKEN));
    expect(text).not.toMatch(/https?:\/\//u);
  }
}
