import { readdir, stat } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';

/**
 * The Nextcloud user's files as the web page shows them: read straight from the WebDAV server's
 * folder on disk, read-only. Paths are relative to that folder, with `/` separators.
 */

export interface TreeEntry {
  readonly name: string;
  readonly path: string;
  readonly type: 'file' | 'directory';
  readonly size: number;
  /** ms since the epoch. */
  readonly modified: number;
  readonly children?: readonly TreeEntry[];
}

/** Enough for a sandbox; a runaway folder must not freeze the page. */
const MAX_ENTRIES = 2000;

export async function readTree(root: string): Promise<TreeEntry[]> {
  const budget = { left: MAX_ENTRIES };
  return readFolder(root, '', budget);
}

async function readFolder(root: string, path: string, budget: { left: number }): Promise<TreeEntry[]> {
  const names = (await readdir(join(root, path)).catch(() => [])).filter((name) => !name.startsWith('.'));
  const entries: TreeEntry[] = [];
  for (const name of names.sort((a, b) => a.localeCompare(b, 'fr'))) {
    if (budget.left-- <= 0) break;
    const childPath = path === '' ? name : `${path}/${name}`;
    const info = await stat(join(root, childPath)).catch(() => undefined);
    if (!info) continue;
    const base = { name, path: childPath, size: info.size, modified: info.mtimeMs };
    entries.push(
      info.isDirectory()
        ? { ...base, type: 'directory', children: await readFolder(root, childPath, budget) }
        : { ...base, type: 'file' },
    );
  }
  return entries;
}

/** The file on disk for a path under the root, or undefined if the path would leave it. Pure. */
export function fileInRoot(root: string, path: string): string | undefined {
  const absoluteRoot = resolve(root);
  const target = resolve(absoluteRoot, path);
  const inside = relative(absoluteRoot, target);
  if (inside === '' || inside.startsWith('..') || inside.split(sep).includes('..')) return undefined;
  return target;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

/** Served as text or image; anything else is a download, never rendered as HTML. */
export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}
