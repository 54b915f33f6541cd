import { describe, expect, it } from 'vitest';
import { ndjsonValues } from '../../src/assistant/ndjson.ts';

async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}

async function collect(source: AsyncIterable<unknown>): Promise<unknown[]> {
  const values: unknown[] = [];
  for await (const value of source) values.push(value);
  return values;
}

describe('NDJSON', () => {
  it('keeps an accented letter whole when its bytes arrive in two chunks', async () => {
    const bytes = Buffer.from('{"t":"vérifier"}\n{"t":"été"}');
    const cut = bytes.indexOf(0xc3) + 1;
    const values = await collect(ndjsonValues(chunks(bytes.subarray(0, cut), bytes.subarray(cut))));
    expect(values).toEqual([{ t: 'vérifier' }, { t: 'été' }]);
  });

  it('skips blank lines and reads a last line without newline', async () => {
    const values = await collect(ndjsonValues(chunks(Buffer.from('\n{"a":1}\n\n{"a":2}'))));
    expect(values).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('throws on a line that is not JSON', async () => {
    await expect(collect(ndjsonValues(chunks(Buffer.from('{"a":1}\n<html>\n'))))).rejects.toThrow(
      SyntaxError,
    );
  });
});
