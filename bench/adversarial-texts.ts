import { parseReportText } from '../src/conversation/parser.ts';
import { toEvent } from '../src/conversation/events.ts';
import { sameClient, sanitizeName } from '../src/nextcloud/names.ts';
import { CAPTION_MAX_LENGTH, splitText } from '../src/telegram/split-text.ts';

/**
 * Texts of 1 MB built to make a backtracking regex or a rescanning loop quadratic, and every text
 * function a technician's text reaches. test/text/adversarial-texts.test.ts checks that each
 * function finishes on each text; `make bench` prints the slowest pair.
 */

const ONE_MB = 1_000_000;

const repeated = (unit: string) => unit.repeat(Math.ceil(ONE_MB / unit.length)).slice(0, ONE_MB);

export const ADVERSARIAL_TEXTS: Readonly<Record<string, string>> = {
  'a…': repeated('a'),
  '- …': repeated('- '),
  '- ,,,…x': `- ${repeated(',')}x`,
  'x....x': `x${repeated('.')}x`,
  'x. . .x': `x${repeated('. ')}x`,
  'http://…': repeated('http://'),
  'a://b/…': `${repeated('a://b/')} / x`,
  '/a …': `/a ${repeated(' ')}x`,
  'x\n…': repeated('x\n'),
};

const privateText = (text: string) =>
  toEvent({
    update_id: 1,
    message: {
      message_id: 1,
      date: 1,
      chat: { id: 1, type: 'private' },
      from: { id: 1, is_bot: false, first_name: 'A' },
      text,
    },
  });

export const TEXT_FUNCTIONS: Readonly<Record<string, (text: string) => unknown>> = {
  toEvent: privateText,
  parseReportText,
  sanitizeName,
  sameClient: (text) => sameClient(text, `${text}.`),
  splitText: (text) => splitText(text),
  'splitText(caption)': (text) => splitText(text, CAPTION_MAX_LENGTH),
};

export interface TextTiming {
  readonly text: string;
  readonly function: string;
  readonly milliseconds: number;
}

/** Each function on each text, timed; the slowest first. */
export function timeTextFunctions(): TextTiming[] {
  const timings: TextTiming[] = [];
  for (const [text, input] of Object.entries(ADVERSARIAL_TEXTS)) {
    for (const [name, run] of Object.entries(TEXT_FUNCTIONS)) {
      const started = performance.now();
      run(input);
      timings.push({ text, function: name, milliseconds: performance.now() - started });
    }
  }
  return timings.sort((a, b) => b.milliseconds - a.milliseconds);
}
