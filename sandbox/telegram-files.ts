import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TelegramStandIn } from '../stand-ins/telegram-stand-in.ts';

/**
 * The files "Telegram holds" in the sandbox: registered with the Telegram stand-in (so the
 * service can getFile and download them, and re-send them by file_id) and kept here too, so the
 * web page can show them. Photos sent from the page are saved in a folder and registered again
 * at the next start, so their jobs still find them after a restart.
 */

export interface HeldFile {
  readonly bytes: Buffer;
  readonly mimeType: string;
}

export interface RegisteredFile {
  readonly file_id: string;
  readonly file_unique_id: string;
  readonly file_size: number;
}

const SAVED_PHOTO = /^(sandbox-photo-[a-z0-9-]+)\.jpg$/u;

export class TelegramFiles {
  private readonly standIn: TelegramStandIn;
  private readonly folder: string;
  private readonly held = new Map<string, HeldFile>();

  private constructor(standIn: TelegramStandIn, folder: string) {
    this.standIn = standIn;
    this.folder = folder;
  }

  /** Registers again the photos saved in `folder` by earlier runs. */
  static async open(standIn: TelegramStandIn, folder: string): Promise<TelegramFiles> {
    await mkdir(folder, { recursive: true });
    const files = new TelegramFiles(standIn, folder);
    for (const name of (await readdir(folder)).sort()) {
      const fileId = SAVED_PHOTO.exec(name)?.[1];
      if (fileId !== undefined) files.register(fileId, await readFile(join(folder, name)), 'image/jpeg');
    }
    return files;
  }

  /** A new photo from the web page: saved, registered under a fresh id that no restart reuses. */
  async addPhoto(jpeg: Buffer): Promise<RegisteredFile> {
    const fileId = `sandbox-photo-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    await writeFile(join(this.folder, `${fileId}.jpg`), jpeg);
    return this.register(fileId, jpeg, 'image/jpeg');
  }

  /** A file with a given id (those of the samples), in memory only. Registering twice is harmless. */
  hold(fileId: string, bytes: Buffer, mimeType: string, fileUniqueId?: string): RegisteredFile {
    const known = this.held.get(fileId);
    if (known)
      return { file_id: fileId, file_unique_id: fileUniqueId ?? fileId, file_size: known.bytes.length };
    return this.register(fileId, bytes, mimeType, fileUniqueId);
  }

  get(fileId: string): HeldFile | undefined {
    return this.held.get(fileId);
  }

  private register(fileId: string, bytes: Buffer, mimeType: string, fileUniqueId?: string): RegisteredFile {
    const ids = this.standIn.addFile(bytes, {
      mimeType,
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
