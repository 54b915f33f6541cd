import type { ConversationSettings } from './settings.ts';
import type { ConversationState } from './state.ts';

/**
 * How long until an album may close (0: now), or undefined when it is not open any more
 * (closed at 10 items, or cancelled). Each new item pushes the close back by the quiet period.
 */
export function albumCloseDelay(
  state: ConversationState,
  mediaGroupId: string,
  now: number,
  settings: ConversationSettings,
): number | undefined {
  const album = state.draft?.openAlbums.find((a) => a.mediaGroupId === mediaGroupId);
  if (!album) return undefined;
  return Math.max(0, album.lastItemAt + settings.albumQuietMs - now);
}
