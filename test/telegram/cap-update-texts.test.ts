import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capUpdateTexts } from '../../src/telegram/cap-update-texts.ts';
import { CAPTION_MAX_LENGTH, MESSAGE_MAX_LENGTH } from '../../src/telegram/split-text.ts';
import type { Update } from '../../src/telegram/update-schema.ts';
import { textUpdate } from '../support/updates.ts';

const withCaption = (caption: string): Update => {
  const update = textUpdate('');
  const message = { ...update.message!, text: undefined };
  return {
    ...update,
    message: { ...message, caption, photo: [{ file_id: 'f', file_unique_id: 'u', width: 1, height: 1 }] },
  };
};

describe('capUpdateTexts', () => {
  it('keeps an update whose texts fit as it is', () => {
    const update = textUpdate('x'.repeat(MESSAGE_MAX_LENGTH));
    expect(capUpdateTexts(update)).toEqual({ update, cut: undefined });
    expect(capUpdateTexts(withCaption('c'.repeat(CAPTION_MAX_LENGTH))).cut).toBeUndefined();
  });

  it('cuts a message text to 4,096 and a caption to 1,024 code units, the rest untouched', () => {
    const long = textUpdate('x'.repeat(1_000_000));
    const capped = capUpdateTexts(long);
    expect(capped.cut).toBe('text');
    expect(capped.update.message!.text).toBe('x'.repeat(MESSAGE_MAX_LENGTH));
    expect({ ...capped.update.message, text: undefined }).toEqual({ ...long.message, text: undefined });
    const caption = capUpdateTexts(withCaption('c'.repeat(5_000)));
    expect(caption.cut).toBe('caption');
    expect(caption.update.message!.caption).toHaveLength(CAPTION_MAX_LENGTH);
  });

  it('cuts an edited message too', () => {
    const { message, ...rest } = textUpdate('y'.repeat(5_000));
    const capped = capUpdateTexts({ ...rest, edited_message: message! });
    expect(capped.update.edited_message!.text).toHaveLength(MESSAGE_MAX_LENGTH);
  });

  it('never leaves half of a surrogate pair, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 4_000, maxLength: 4_200 }), (text) => {
        const capped = capUpdateTexts(textUpdate(text)).update.message!.text!;
        expect(capped.length).toBeLessThanOrEqual(MESSAGE_MAX_LENGTH);
        expect(text.startsWith(capped)).toBe(true);
        expect(capped.isWellFormed()).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});
