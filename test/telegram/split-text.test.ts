import { describe, expect, it } from 'vitest';
import { CAPTION_MAX_LENGTH, MESSAGE_MAX_LENGTH, splitText } from '../../src/telegram/split-text.ts';

const EMOJI = '📸'; // two UTF-16 code units
const FAMILY = '👨‍👩‍👧'; // one grapheme, eight code units

function expectWellFormed(pieces: readonly string[], maxLength: number): void {
  for (const piece of pieces) {
    expect(piece.length).toBeGreaterThan(0);
    expect(piece.length).toBeLessThanOrEqual(maxLength);
    expect(piece.isWellFormed()).toBe(true);
  }
}

describe('splitText', () => {
  it('keeps a text that fits, up to exactly 4096 code units', () => {
    const exact = 'a'.repeat(MESSAGE_MAX_LENGTH);
    expect(splitText(exact)).toEqual([exact]);
    expect(splitText('Bonjour')).toEqual(['Bonjour']);
    expect(splitText('')).toEqual([]);
  });

  it('cuts 4097 code units into two', () => {
    const pieces = splitText('a'.repeat(MESSAGE_MAX_LENGTH + 1));
    expect(pieces.map((piece) => piece.length)).toEqual([4096, 1]);
  });

  it('cuts after the last line that fits, dropping the line break and blank lines', () => {
    const line = 'x'.repeat(1000);
    const text = [line, line, line, line, '', '', line].join('\n');
    const pieces = splitText(text);
    expect(pieces).toEqual([[line, line, line, line].join('\n'), line]);
  });

  it('keeps a line break falling exactly at the limit as the cut', () => {
    const first = 'y'.repeat(MESSAGE_MAX_LENGTH);
    expect(splitText(`${first}\nfin`)).toEqual([first, 'fin']);
  });

  it('cuts a long single line between words', () => {
    const words = Array.from({ length: 1000 }, (_, i) => `mot${i}`);
    const pieces = splitText(words.join(' '));
    expectWellFormed(pieces, MESSAGE_MAX_LENGTH);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join(' ')).toBe(words.join(' '));
    for (const piece of pieces) expect(piece).toMatch(/^mot\d+( mot\d+)*$/u);
  });

  it('hard-cuts a line without spaces', () => {
    const pieces = splitText('z'.repeat(10_000));
    expect(pieces.map((piece) => piece.length)).toEqual([4096, 4096, 1808]);
  });

  it('never splits an emoji at the boundary', () => {
    // The emoji straddles code units 4095-4096: it must move whole to the next piece.
    const text = `${'a'.repeat(MESSAGE_MAX_LENGTH - 1)}${EMOJI}bc`;
    const pieces = splitText(text);
    expect(pieces).toEqual(['a'.repeat(MESSAGE_MAX_LENGTH - 1), `${EMOJI}bc`]);
    expectWellFormed(pieces, MESSAGE_MAX_LENGTH);
  });

  it('keeps an emoji that ends exactly at the limit', () => {
    const text = `${'a'.repeat(MESSAGE_MAX_LENGTH - 2)}${EMOJI}b`;
    expect(splitText(text)).toEqual([`${'a'.repeat(MESSAGE_MAX_LENGTH - 2)}${EMOJI}`, 'b']);
  });

  it('keeps a text made only of emoji well formed', () => {
    const pieces = splitText(EMOJI.repeat(3000));
    expectWellFormed(pieces, MESSAGE_MAX_LENGTH);
    expect(pieces.join('')).toBe(EMOJI.repeat(3000));
  });

  it('does not break a multi-code-point emoji either', () => {
    const text = `${'a'.repeat(MESSAGE_MAX_LENGTH - 3)}${FAMILY}`;
    expect(splitText(text)).toEqual(['a'.repeat(MESSAGE_MAX_LENGTH - 3), FAMILY]);
  });

  it('splits captions at 1024', () => {
    const pieces = splitText(`Müller / ${'photo '.repeat(400)}`, CAPTION_MAX_LENGTH);
    expectWellFormed(pieces, CAPTION_MAX_LENGTH);
    expect(pieces[0]!.startsWith('Müller / photo')).toBe(true);
    expect(pieces.join(' ').replace(/\s+/gu, ' ').trim()).toBe(`Müller / ${'photo '.repeat(400)}`.trim());
  });
});
