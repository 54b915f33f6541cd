import { describe, expect, it } from 'vitest';
import { albumQuietMs } from '../../src/conversation/album-timing.ts';
import { DEFAULT_SETTINGS } from '../../src/conversation/settings.ts';

describe('albumQuietMs', () => {
  it('is a whole number of ms, even one and a half times an odd gap', () => {
    // The close job's run_at comes from it: a fraction there stopped a worker on PostgreSQL.
    const album = { mediaGroupId: 'g1', lastItemAt: 0, count: 3, longestGapMs: 2001 };
    expect(albumQuietMs(album, { ...DEFAULT_SETTINGS, albumQuietMs: 1000 })).toBe(3002);
  });
});
