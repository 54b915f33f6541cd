import type { BotApiClient } from '../telegram/bot-api-client.ts';
import { TelegramApiError } from '../telegram/telegram-errors.ts';

/** The Bot API lets bots download files of up to 20 MB (https://core.telegram.org/bots/api#getfile). */
export const TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024;

export class FileTooLargeError extends Error {
  constructor() {
    super('file over the Bot API download limit (20 MB)');
    this.name = 'FileTooLargeError';
  }
}

/** getFile itself refuses files over the limit: `400 Bad Request: file is too big`. */
async function getFile(client: BotApiClient, fileId: string) {
  try {
    return await client.getFile({ file_id: fileId });
  } catch (error) {
    if (error instanceof TelegramApiError && /file is too big/iu.test(error.description)) {
      throw new FileTooLargeError();
    }
    throw error;
  }
}

/**
 * Downloads a file Telegram holds, whole, into memory (at most 20 MB): the upload needs an exact
 * Content-Length, and the first bytes tell whether a document really is a picture. `getFile` is
 * called each time: its `file_path` link only lasts about an hour, longer than a retry may wait.
 */
export async function downloadTelegramFile(client: BotApiClient, fileId: string): Promise<Buffer> {
  const file = await getFile(client, fileId);
  if ((file.file_size ?? 0) > TELEGRAM_DOWNLOAD_LIMIT || !file.file_path) throw new FileTooLargeError();
  const { stream } = await client.downloadFile(file.file_path);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buffer.length;
    if (size > TELEGRAM_DOWNLOAD_LIMIT) {
      stream.destroy();
      throw new FileTooLargeError();
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
