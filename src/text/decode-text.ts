/**
 * A text file's bytes as text, the way the Encoding Standard decodes a document
 * (https://encoding.spec.whatwg.org/#decode): a byte order mark names the encoding and is dropped;
 * without one, UTF-8, strictly (`fatal`: a byte that is not UTF-8 throws instead of becoming
 * U+FFFD); a file that is not UTF-8 is read as windows-1252, the "ANSI" of French Windows
 * editors, in which every byte is a character: é, è, à, ç, œ and € come out right.
 */

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export interface DecodedText {
  readonly text: string;
  /** `windows-1252` is a guess (the bytes were not UTF-8): the others are certain. */
  readonly encoding: TextEncodingName;
}

export function decodeText(bytes: Uint8Array): DecodedText {
  const utf16 = utf16Bom(bytes);
  if (utf16 !== undefined) return { text: new TextDecoder(utf16).decode(bytes), encoding: utf16 };
  try {
    // Drops a UTF-8 BOM (TextDecoder's default, `ignoreBOM: false`).
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch (error) {
    // TextDecoder's own error for bytes that are not UTF-8 (ERR_ENCODING_INVALID_ENCODED_DATA).
    if (!(error instanceof TypeError)) throw error;
    const body = hasUtf8Bom(bytes) ? bytes.subarray(3) : bytes;
    return { text: new TextDecoder('windows-1252').decode(body), encoding: 'windows-1252' };
  }
}

/** The UTF-16 BOMs of the Encoding Standard's "BOM sniff"; TextDecoder drops the one it reads. */
function utf16Bom(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  return undefined;
}

function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}
