/**
 * The JSON values of an NDJSON byte stream, one per non-empty line. Bytes are decoded with a
 * streaming TextDecoder: an accented letter split across two chunks stays one letter
 * (https://developer.mozilla.org/docs/Web/API/TextDecoder/decode, `stream: true`). A line that is not JSON throws a SyntaxError.
 */
export async function* ndjsonValues(chunks: AsyncIterable<Uint8Array>): AsyncGenerator {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  for await (const chunk of chunks) {
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') yield JSON.parse(line) as unknown;
      newline = pending.indexOf('\n');
    }
  }
  const last = (pending + decoder.decode()).trim();
  if (last !== '') yield JSON.parse(last) as unknown;
}
