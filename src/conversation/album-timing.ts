import type { ConversationSettings } from './settings.ts';
import type { ConversationState, OpenAlbum } from './state.ts';

/**
 * How long until an album may close (0: now), or undefined when it is not open any more
 * (closed, or cancelled). Each new item pushes the close back by the album's quiet period.
 */
export function albumCloseDelay(
  state: ConversationState,
  mediaGroupId: string,
  now: number,
  settings: ConversationSettings,
): number | undefined {
  const album = state.draft?.openAlbums.find((a) => a.mediaGroupId === mediaGroupId);
  if (!album) return undefined;
  return Math.max(0, album.lastItemAt + albumQuietMs(album, settings) - now);
}

/** An album is never longer to wait for than this many quiet periods. */
const MAX_QUIET_FACTOR = 6;

/**
 * The silence after which an album is taken as complete. Phones send an album as at least two
 * items, so after one item more is surely coming: wait longer. Items that come slowly (seconds
 * apart on bad 4G) stretch it to one and a half times the longest gap seen, so the album is not
 * cut mid-upload.
 */
export function albumQuietMs(album: OpenAlbum, settings: ConversationSettings): number {
  const quiet = settings.albumQuietMs;
  const longest = quiet * MAX_QUIET_FACTOR;
  if (album.count <= 1) return Math.min(longest, quiet * 4);
  // Whole ms: the close job's run_at is a bigint on PostgreSQL, which refuses a fraction.
  return Math.min(longest, Math.max(quiet, Math.ceil(1.5 * album.longestGapMs)));
}
