import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileKind, TelegramFiles } from './telegram-files.ts';

/**
 * The sample Updates of samples/updates/, for replay from the web page and `make send`. Their
 * file ids are made real: each is registered with the Telegram stand-in with the bytes of a
 * bundled photo, so the service can download what a sample refers to.
 */

export interface Sample {
  readonly name: string;
  readonly update: Record<string, unknown>;
}

export interface SampleFileRef {
  readonly fileId: string;
  readonly fileUniqueId: string;
  readonly mimeType: string;
  /**
   * How Telegram holds it: a document's file_id (a picture sent "as a file", a voice note) is
   * refused by sendPhoto, a photo's by sendDocument, as the stand-in does.
   */
  readonly kind: FileKind;
  /** Which message of the samples it belongs to, to spread the bundled photos over them. */
  readonly messageId: number;
}

export async function loadSamples(folder: string): Promise<Sample[]> {
  const names = (await readdir(folder)).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(
    names.map(async (file) => ({
      name: file.slice(0, -'.json'.length),
      update: JSON.parse(await readFile(join(folder, file), 'utf8')) as Record<string, unknown>,
    })),
  );
}

/** Every file an Update's messages refer to: photo sizes, documents, voice notes. Pure. */
export function sampleFileRefs(update: Record<string, unknown>): SampleFileRef[] {
  const refs: SampleFileRef[] = [];
  for (const key of ['message', 'edited_message']) {
    const message = update[key] as Record<string, unknown> | undefined;
    if (!message) continue;
    const messageId = Number(message.message_id);
    const photos = Array.isArray(message.photo) ? (message.photo as Record<string, unknown>[]) : [];
    for (const size of photos) refs.push(ref(size, 'image/jpeg', 'photo', messageId));
    for (const field of ['document', 'voice']) {
      const file = message[field] as Record<string, unknown> | undefined;
      const mimeType = typeof file?.mime_type === 'string' ? file.mime_type : 'application/octet-stream';
      if (file) refs.push(ref(file, mimeType, 'document', messageId));
    }
  }
  return refs.filter((item) => item.fileId !== '');
}

function ref(
  file: Record<string, unknown>,
  mimeType: string,
  kind: FileKind,
  messageId: number,
): SampleFileRef {
  return {
    fileId: typeof file.file_id === 'string' ? file.file_id : '',
    fileUniqueId: typeof file.file_unique_id === 'string' ? file.file_unique_id : '',
    mimeType,
    kind,
    messageId,
  };
}

/** Registers the samples' files, each message getting one of the bundled photos in turn. */
export function holdSampleFiles(samples: readonly Sample[], files: TelegramFiles, photos: readonly Buffer[]) {
  const refs = samples.flatMap((sample) => sampleFileRefs(sample.update));
  const messageIds = [...new Set(refs.map((item) => item.messageId))].sort((a, b) => a - b);
  for (const item of refs) {
    const photo = photos[messageIds.indexOf(item.messageId) % photos.length]!;
    files.hold(item.fileId, photo, item.mimeType, item.kind, item.fileUniqueId || undefined);
  }
}
