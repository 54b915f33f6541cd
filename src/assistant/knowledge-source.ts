import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { type DecodedText, decodeText } from '../text/decode-text.ts';
import type { NoteFile } from './knowledge-units.ts';

/**
 * Where the known fixes are written: the Nextcloud folder `Wiki_SAV/` in production, a local
 * folder in development and tests. A source lists every Markdown note with its text.
 */
export interface KnowledgeSource {
  list(): Promise<NoteFile[]>;
}

/** Why the notes could not be listed: the sync is retried later, the old index stays in use. */
export class KnowledgeSourceError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KnowledgeSourceError';
  }
}

/**
 * Every `*.md` under `root`, sorted by path. `README.md` files and dot files are skipped: they
 * describe the folder, they are not fixes.
 */
export function localFolderSource(root: string): KnowledgeSource {
  return {
    async list() {
      try {
        const names = await readdir(root, { recursive: true });
        const paths = names
          .map((name) => relative(root, join(root, name)).split(sep).join('/'))
          .filter(isNotePath)
          .sort();
        return await Promise.all(
          paths.map(async (path) => noteFile(path, decodeText(await readFile(join(root, path))))),
        );
      } catch (error) {
        throw new KnowledgeSourceError(`cannot read the knowledge folder ${root}`, { cause: error });
      }
    },
  };
}

/**
 * A note as read: a note that is not UTF-8 was read as windows-1252 (src/text/decode-text.ts),
 * and says so, for the sync to name it; a BOM is already gone.
 */
function noteFile(path: string, { text, encoding }: DecodedText): NoteFile {
  return encoding === 'windows-1252' ? { path, text, encoding } : { path, text };
}

/** A note of the knowledge base, by its path alone (shared with other sources). */
export function isNotePath(path: string): boolean {
  const segments = path.split('/');
  const name = segments.at(-1) ?? '';
  return (
    /\.md$/iu.test(name) && name.toLowerCase() !== 'readme.md' && !segments.some((s) => s.startsWith('.'))
  );
}

/** What the Nextcloud source needs of the archive (src/nextcloud/webdav-archive.ts). */
export interface NextcloudFiles {
  listFolder(path: string): Promise<{ name: string; type: 'file' | 'directory' }[] | undefined>;
  readText(path: string): Promise<DecodedText>;
}

/**
 * Every note under a Nextcloud folder (`Wiki_SAV` by default), sorted by path, subfolders
 * included: where the office writes its known fixes. A missing folder is an empty base.
 */
export function nextcloudFolderSource(files: NextcloudFiles, root: string): KnowledgeSource {
  return {
    async list() {
      try {
        const paths = (await notePaths(files, root, '')).sort();
        return await Promise.all(
          paths.map(async (path) => noteFile(path, await files.readText(`${root}/${path}`))),
        );
      } catch (error) {
        throw new KnowledgeSourceError(`cannot read the Nextcloud folder ${root}`, { cause: error });
      }
    },
  };
}

async function notePaths(files: NextcloudFiles, root: string, below: string): Promise<string[]> {
  const entries = (await files.listFolder(below ? `${root}/${below}` : root)) ?? [];
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const path = below ? `${below}/${entry.name}` : entry.name;
      if (entry.type === 'directory') return entry.name.startsWith('.') ? [] : notePaths(files, root, path);
      return isNotePath(path) ? [path] : [];
    }),
  );
  return nested.flat();
}
