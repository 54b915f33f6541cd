import { createHash } from 'node:crypto';

/**
 * A short, stable name for a known fix, for Telegram buttons: callback data holds 64 bytes
 * (https://core.telegram.org/bots/api#inlinekeyboardbutton) and unit ids are paths with a section
 * slug, often longer. 48 bits of SHA-256 keep a few thousand notes apart.
 */
export function noteRef(unitId: string): string {
  return createHash('sha256').update(unitId).digest('hex').slice(0, 12);
}
