import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * tools/install-debian-packages.sh is what lets `make run` and `make test` work on a bare
 * machine. This machine already has every package, so the missing ones are made real by running
 * the script with a PATH that holds only the commands named (no dpkg-query: nothing counts as
 * installed), and `--dry-run` keeps apt-get from running.
 */

const SCRIPT = fileURLToPath(new URL('../tools/install-debian-packages.sh', import.meta.url));
const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

const which = (command: string) => {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
};

/** Runs the script with a PATH of only these commands (those this machine has). */
function runWith(commands: readonly string[], args: readonly string[]) {
  const bin = mkdtempSync(join(tmpdir(), 'debian-packages-'));
  folders.push(bin);
  for (const command of commands) {
    const path = which(command);
    if (path) symlinkSync(path, join(bin, command));
  }
  const sh = which('sh')!;
  return spawnSync(sh, [SCRIPT, ...args], { encoding: 'utf8', env: { PATH: bin } });
}

const isRoot = process.getuid?.() === 0;
const SANDBOX = ['curl', 'php-sabre-dav', 'php8.2-cli', 'php8.2-xml', 'php8.2-mbstring', 'php8.2-intl'];

describe('tools/install-debian-packages.sh', () => {
  it('without apt-get, names what to install in one line and fails', () => {
    const result = runWith(['grep', 'id', 'env'], ['sandbox']);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `Missing Debian packages (no apt-get here to install them): install ${SANDBOX.join(' ')}\n`,
    );
  });

  it.skipIf(!isRoot || !which('apt-get'))(
    'as root, installs only what is missing, tests adding to the sandbox',
    () => {
      const result = runWith(['grep', 'id', 'env', 'apt-get'], ['--dry-run']);
      expect(result.status).toBe(0);
      const all = [...SANDBOX, 'chromium', 'fonts-noto-color-emoji', 'postgresql'].join(' ');
      expect(result.stdout).toBe(
        'would run: apt-get update -qq\n' +
          `would run: env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${all}\n`,
      );
      expect(result.stderr).toBe(`Installing the Debian packages test needs: ${all}\n`);
    },
  );

  it('does nothing when every package is there', () => {
    // This machine runs the suite, so its packages are installed (make test ran the script).
    expect(execFileSync(SCRIPT, ['--dry-run'], { encoding: 'utf8' })).toBe('');
  });

  it('refuses an unknown purpose', () => {
    const result = spawnSync(SCRIPT, ['everything'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/usage: .* \[--dry-run\] \[sandbox\|test\]/);
  });
});
