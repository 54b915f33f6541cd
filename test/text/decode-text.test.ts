import { describe, expect, it } from 'vitest';
import { decodeText } from '../../src/text/decode-text.ts';

const TEXT = '# Pompe à chaleur : défaut E-12 — cœur 5 €';

describe('decodeText', () => {
  it('reads UTF-8, with or without a BOM, the BOM dropped', () => {
    expect(decodeText(Buffer.from(TEXT, 'utf8'))).toEqual({ text: TEXT, encoding: 'utf-8' });
    expect(decodeText(Buffer.from(`\uFEFF${TEXT}`, 'utf8'))).toEqual({ text: TEXT, encoding: 'utf-8' });
  });

  it('reads UTF-16 by its BOM, as Windows Notepad saves "Unicode"', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]);
    expect(decodeText(le)).toEqual({ text: TEXT, encoding: 'utf-16le' });
    const be = Buffer.from(Buffer.from(`\uFEFF${TEXT}`, 'utf16le')).swap16();
    expect(decodeText(be)).toEqual({ text: TEXT, encoding: 'utf-16be' });
  });

  it('reads bytes that are not UTF-8 as windows-1252, and says so', () => {
    // à é — in windows-1252; œ 0x9C and € 0x80 are where Latin-1 has control characters.
    const bytes = Buffer.from([
      ...Buffer.from('# Pompe ', 'latin1'),
      0xe0,
      ...Buffer.from(' chaleur : d', 'latin1'),
      0xe9,
      ...Buffer.from('faut E-12 ', 'latin1'),
      0x97,
      ...Buffer.from(' c', 'latin1'),
      0x9c,
      ...Buffer.from('ur 5 ', 'latin1'),
      0x80,
    ]);
    expect(decodeText(bytes)).toEqual({ text: TEXT, encoding: 'windows-1252' });
  });

  it('drops a UTF-8 BOM before text that is not UTF-8 after all', () => {
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('d', 'latin1'), 0xe9, 0x66]);
    expect(decodeText(bytes)).toEqual({ text: 'déf', encoding: 'windows-1252' });
  });
});
