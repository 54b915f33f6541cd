import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The arguments to `node` that start the service as its image does: the Dockerfile's last `CMD`
 * (the runtime stage's), with the entry point made absolute. The benchmark measures the service
 * with the same Node flags (heap sizing, source maps) as in production.
 */
export function imageNodeArgs(repoRoot: string): string[] {
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  const command = [...dockerfile.matchAll(/^CMD\s+(\[.*\])$/gm)].at(-1)?.[1];
  const argv = JSON.parse(command ?? 'null') as unknown;
  if (!Array.isArray(argv) || argv[0] !== 'node' || !argv.every((arg) => typeof arg === 'string'))
    throw new Error(`the Dockerfile's CMD is not ["node", …]: ${command}`);
  return argv.slice(1).map((arg) => (arg.endsWith('.js') ? join(repoRoot, arg) : arg));
}
