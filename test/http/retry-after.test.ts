import { describe, expect, it } from 'vitest';
import { retryAfterSeconds } from '../../src/http/retry-after.ts';

describe('retryAfterSeconds', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('Wed, 25 Mar 2026 14:00:00 GMT');
    expect(retryAfterSeconds('120', now)).toBe(120);
    expect(retryAfterSeconds(' 7 ', now)).toBe(7);
    expect(retryAfterSeconds('Wed, 25 Mar 2026 14:01:30 GMT', now)).toBe(90);
    expect(retryAfterSeconds('Wed, 25 Mar 2026 13:00:00 GMT', now)).toBe(0);
  });

  it('is undefined when absent, repeated or unreadable', () => {
    expect(retryAfterSeconds('soon')).toBeUndefined();
    expect(retryAfterSeconds(undefined)).toBeUndefined();
    expect(retryAfterSeconds(['1', '2'])).toBeUndefined();
  });
});
