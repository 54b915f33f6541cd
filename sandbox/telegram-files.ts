import { randomBytes } from 'node:crypto';
import type { TelegramStandIn } from '../stand-ins/telegram-stand-in.ts';

/**
 * The files "Telegram holds" in the sandbox: registered with the Telegram stand-in (so the
 * service can getFile and download them, and re-send them by file_id) and kept here too, so the
 * web page can show them. In memory, like the stand-ins: the sandbox starts every world afresh
 * (sandbox/start-sandbox.ts).
 */

/** How Telegram got a file (stand-ins/telegram-stand-in.ts, AddFileOptions.kind). */
export type FileKind = 'photo' | 'document';

export interface HeldFile {
  readonly bytes: Buffer;
  readonly mimeType: string;
}

export interface RegisteredFile {
  readonly file_id: string;
  readonly file_unique_id: string;
  readonly file_size: number;
}

export class TelegramFiles {
  private readonly standIn: TelegramStandIn;
  private readonly held = new Map<string, HeldFile>();

  constructor(standIn: TelegramStandIn) {
    this.standIn = standIn;
  }

  /** A new photo from the web page, registered under a fresh id. */
  addPhoto(jpeg: Buffer): RegisteredFile {
    const fileId = `sandbox-photo-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    return this.register(fileId, jpeg, 'image/jpeg', 'photo');
  }

  /** A file with a given id (those of the samples), in memory only. Registering twice is harmless. */
  hold(
    fileId: string,
    bytes: Buffer,
    mimeType: string,
    kind: FileKind,
    fileUniqueId?: string,
  ): RegisteredFile {
    const known = this.held.get(fileId);
    if (known)
      return { file_id: fileId, file_unique_id: fileUniqueId ?? fileId, file_size: known.bytes.length };
    return this.register(fileId, bytes, mimeType, kind, fileUniqueId);
  }

  get(fileId: string): HeldFile | undefined {
    return this.held.get(fileId);
  }

  private register(
    fileId: string,
    bytes: Buffer,
    mimeType: string,
    kind: FileKind,
    fileUniqueId?: string,
  ): RegisteredFile {
    const ids = this.standIn.addFile(bytes, {
      mimeType,
      kind,
      fileId,
      fileUniqueId: fileUniqueId ?? `${fileId}-unique`,
    });
    this.held.set(fileId, { bytes, mimeType });
    return { ...ids, file_size: bytes.length };
  }
}

/** JPEG files start with SOI followed by a marker. */
export function isJpeg(bytes: Buffer): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}
