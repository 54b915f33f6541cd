/**
 * Photo numbers never reuse a number the folder already holds, so an upload never overwrites a
 * technician's earlier photo. Pure: the folder listing is passed in.
 */

// photo_NN_YYYYMMDD_HHMMSS.ext (fin, sav); videos share the numbering as video_NN_…
const NUMBERED_FIRST = /^(?:photo|video)_(\d{1,4})_\d{8}_\d{6}\.[a-z0-9]+$/i;
// photo_YYYYMMDD_HHMMSS.ext (number 1) and photo_YYYYMMDD_HHMMSS_NN.ext (materiel)
const NUMBERED_LAST = /^(?:photo|video)_\d{8}_\d{6}(?:_(\d{1,4}))?\.[a-z0-9]+$/i;

/**
 * The number of a photo we named (either scheme of `photoFileName`), or undefined for any other
 * file. Case and the extension do not matter: the office may have renamed `.jpg` to `.JPG`.
 *
 *   'photo_07_20260325_143012.jpg' → 7; 'photo_20260325_143012.jpg' → 1;
 *   'photo_20260325_143012_03.png' → 3; 'plan.pdf' → undefined
 */
export function parsePhotoNumber(fileName: string): number | undefined {
  const name = fileName.replace(/^.*\//, '');
  const numberedFirst = NUMBERED_FIRST.exec(name);
  if (numberedFirst !== null) return Number(numberedFirst[1]);
  const numberedLast = NUMBERED_LAST.exec(name);
  if (numberedLast !== null) return numberedLast[1] === undefined ? 1 : Number(numberedLast[1]);
  return undefined;
}

/**
 * The first free photo number in a folder: one more than the highest number it holds (gaps are
 * not filled: a deleted photo's number is not given to a new one), 1 for a folder without photos.
 *
 *   nextPhotoNumber(['photo_01_….jpg', 'photo_04_….jpg', 'rapport.md']) → 5
 */
export function nextPhotoNumber(existingFileNames: readonly string[]): number {
  const numbers = existingFileNames.map(parsePhotoNumber).filter((n) => n !== undefined);
  return numbers.reduce((highest, n) => Math.max(highest, n), 0) + 1;
}

/** `count` consecutive photo numbers after what the folder holds: `[next, next + 1, …]`. */
export function allocatePhotoNumbers(existingFileNames: readonly string[], count: number): number[] {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`photo count must be a non-negative integer, got ${String(count)}`);
  }
  const first = nextPhotoNumber(existingFileNames);
  return Array.from({ length: count }, (_, index) => first + index);
}

export interface NumberedPhoto<T> {
  readonly photo: T;
  readonly number: number;
}

/**
 * Numbers an album's photos in `message_id` order (the order the technician sent them, whatever
 * order the updates arrived in), after what the folder already holds.
 *
 *   numberAlbum([{ messageId: 12 }, { messageId: 10 }], ['photo_01_….jpg'])
 *     → [{ photo: { messageId: 10 }, number: 2 }, { photo: { messageId: 12 }, number: 3 }]
 */
export function numberAlbum<T extends { readonly messageId: number }>(
  photos: readonly T[],
  existingFileNames: readonly string[],
): NumberedPhoto<T>[] {
  const ordered = [...photos].sort((a, b) => a.messageId - b.messageId);
  const numbers = allocatePhotoNumbers(existingFileNames, ordered.length);
  return ordered.map((photo, index) => ({ photo, number: numbers[index]! }));
}
