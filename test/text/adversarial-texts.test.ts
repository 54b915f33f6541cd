import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADVERSARIAL_TEXTS, TEXT_FUNCTIONS } from '../../bench/adversarial-texts.ts';
import { findUrls } from '../../src/conversation/url-spans.ts';
import { trimEdgesWhere, trimEndWhere } from '../../src/text/trim-edges.ts';

// Completion only: a quadratic function takes minutes on 1 MB and fails on the test timeout.
// How long each one takes is printed by `make bench`, never asserted here.
describe('text functions on 1 MB of adversarial input', () => {
  for (const [textName, text] of Object.entries(ADVERSARIAL_TEXTS)) {
    it.each(Object.keys(TEXT_FUNCTIONS))(`%s finishes on ${JSON.stringify(textName)}`, (name) => {
      expect(text.length).toBeGreaterThanOrEqual(1_000_000);
      expect(() => TEXT_FUNCTIONS[name]!(text)).not.toThrow();
    });
  }
});

// Short strings over the characters that matter, so that runs, schemes and `://` meet often.
const pieces = fc.constantFrom('a', 'Z', '1', '+', '.', '-', ':', '/', '://', ' ', '\n', 'é', 'K', ',');
const shortText = fc.array(pieces, { maxLength: 30 }).map((parts) => parts.join(''));

describe('the linear scans find what the regexes they replace found', () => {
  it('findUrls matches /[a-z][a-z0-9+.-]*:\\/\\/\\S*/giu', () => {
    fc.assert(
      fc.property(shortText, (line) => {
        const expected = [...line.matchAll(/[a-z][a-z0-9+.-]*:\/\/\S*/giu)].map((match) => ({
          start: match.index,
          end: match.index + match[0].length,
        }));
        expect(findUrls(line)).toEqual(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it('trimEndWhere matches /[,;]+$/ and trimEdgesWhere matches /^[\\s.]+|[\\s.]+$/g', () => {
    fc.assert(
      fc.property(shortText, (text) => {
        expect(trimEndWhere(text, (char) => char === ',' || char === ';')).toBe(text.replace(/[,;]+$/u, ''));
        expect(trimEdgesWhere(text, (char) => /^[\s.]$/u.test(char))).toBe(
          text.replace(/^[\s.]+|[\s.]+$/g, ''),
        );
      }),
      { numRuns: 2_000 },
    );
  });
});
