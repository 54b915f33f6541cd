import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OPENAPI_PATH } from '../src/routes/docs.ts';

/**
 * No Docker engine runs on the project's machines, so the image is never built here. What keeps
 * it honest is that it runs CI's own commands: these tests read the Dockerfile, the Makefile and
 * .ci/run and fail when they drift apart.
 */

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}
interface Stage {
  readonly base: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}
interface MakeRule {
  readonly prerequisites: readonly string[];
  readonly recipe: readonly string[];
}

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

/** Instructions with their continuation lines joined; comments and the parser directive dropped. */
function parseDockerfile(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replaceAll(/\\\n/g, ' ');
  return logical
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

function stagesOf(instructions: readonly Instruction[]): Stage[] {
  const stages: { base: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [base = '', as, name] = instruction.args.split(/\s+/);
      stages.push({ base, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** A RUN's shell command, without its BuildKit flags (`--mount=…`), one entry per `&&` step. */
function runCommands(stage: Stage): string[] {
  return stage.instructions
    .filter((instruction) => instruction.keyword === 'RUN')
    .flatMap((instruction) => instruction.args.replace(/^(--[a-z]+=\S+\s+)+/, '').split('&&'))
    .map(normalise);
}

const normalise = (command: string) => command.trim().replaceAll(/\s+/g, ' ');

/** Rules of a Makefile: explicit targets, their prerequisites and their recipe lines. */
function parseMakefile(text: string): Map<string, MakeRule> {
  const rules = new Map<string, MakeRule>();
  let current: { prerequisites: string[]; recipe: string[] } | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('\t')) {
      current?.recipe.push(normalise(line.replace(/^\t[@-]*/, '')));
      continue;
    }
    const rule = /^([^\s:=#]+)\s*:(?!=)([^#]*)/.exec(line);
    if (rule && !line.startsWith('.')) {
      current = { prerequisites: rule[2]!.trim().split(/\s+/).filter(Boolean), recipe: [] };
      rules.set(rule[1]!, current);
    } else if (line.trim() !== '' && !line.startsWith('#')) {
      current = undefined;
    }
  }
  return rules;
}

/**
 * Every recipe line `make <targets>` runs, prerequisites first, following `$(MAKE) …`.
 * A prerequisite without a rule is a source file (package.json); a target without one is a typo.
 */
function commandsOf(
  rules: Map<string, MakeRule>,
  targets: readonly string[],
  seen = new Set<string>(),
  files = new Set<string>(),
): string[] {
  const commands: string[] = [];
  for (const target of targets) {
    if (seen.has(target) || files.has(target)) continue;
    seen.add(target);
    const rule = rules.get(target);
    if (!rule) throw new Error(`the Makefile has no target ${target}`);
    const sources = rule.prerequisites.filter((name) => !rules.has(name));
    for (const source of sources) files.add(source);
    commands.push(...commandsOf(rules, rule.prerequisites, seen, files));
    for (const line of rule.recipe) {
      const subMake = /^\$\(MAKE\)\s+(.+)$/.exec(line);
      if (subMake) commands.push(...commandsOf(rules, subMake[1]!.split(/\s+/), seen, files));
      else commands.push(line);
    }
  }
  return commands;
}

/** What a stage's COPY instructions take from the build context (not from another stage). */
function copiedSources(stage: Stage): string[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from='))
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1))
    .map((path) => path.replace(/\/$/, ''));
}

/**
 * Files outside src/ that the code opens at run time, relative to the repository: the contract
 * (found from the package's root, src/routes/docs.ts) and any file named through
 * `new URL('…', import.meta.url)`. The image needs them beside its dist/.
 */
function filesReadBesideTheCode(): string[] {
  const srcRoot = fileURLToPath(new URL('../src/', import.meta.url));
  const repoRoot = dirname(srcRoot);
  const found = new Set<string>();
  for (const file of readdirSync(srcRoot, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    const text = readFileSync(join(srcRoot, file), 'utf8');
    for (const match of text.matchAll(/new URL\(\s*'([^']+)',\s*import\.meta\.url\s*\)/g)) {
      const target = relative(repoRoot, resolve(dirname(join(srcRoot, file)), match[1]!));
      if (!target.startsWith(`src${sep}`)) found.add(target.split(sep).join('/'));
    }
  }
  found.add(relative(repoRoot, OPENAPI_PATH).split(sep).join('/'));
  return [...found].sort();
}

/** The Makefile targets .ci/run calls, in order. */
function ciTargets(script: string): string[] {
  return script
    .split('\n')
    .map((line) => /^\s*make\s+([^#;&|]+)/.exec(line)?.[1]?.trim())
    .filter((targets) => targets !== undefined)
    .flatMap((targets) => targets.split(/\s+/));
}

const instructions = parseDockerfile(read('Dockerfile'));
const stages = stagesOf(instructions);
const finalStage = stages.at(-1)!;
const buildStage = stages[0]!;
const rules = parseMakefile(read('Makefile'));
/** The npm commands a target runs (bookkeeping such as `touch $@` has no place in an image). */
const npmCommandsOf = (targets: readonly string[]) =>
  commandsOf(rules, targets).filter((command) => command.startsWith('npm '));
const installCommands = npmCommandsOf(['install']);
const buildCommands = npmCommandsOf(['build']).filter((command) => !installCommands.includes(command));

describe('the Dockerfile runs what CI runs', () => {
  it('reads one install and one build command from the Makefile', () => {
    expect(installCommands).toEqual([expect.stringMatching(/^npm ci\b/)]);
    expect(buildCommands).toEqual([expect.stringMatching(/^npm run\b.*\bbuild$/)]);
  });

  it('installs and builds in its build stage with exactly the Makefile commands, in that order', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(runCommands(buildStage)).toEqual([...installCommands, ...buildCommands]);
  });

  it('installs production dependencies only in its final stage, otherwise as CI does', () => {
    const [install] = installCommands;
    const withoutDev = install!.replace(/^npm ci\b/, 'npm ci --omit=dev');
    expect(runCommands(finalStage)).toContain(withoutDev);
    expect(runCommands(finalStage).filter((command) => command.startsWith('npm '))).toEqual([withoutDev]);
  });

  it('builds from the same sources the type-check sees and ships only the build output', () => {
    expect(copiedSources(buildStage)).toEqual([
      'package.json',
      'package-lock.json',
      'scripts/bundle.ts',
      'src',
    ]);
    const finalCopies = finalStage.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(finalCopies).toEqual(
      expect.arrayContaining([
        'package.json package-lock.json ./',
        `--from=${buildStage.name ?? '0'} /app/dist ./dist`,
      ]),
    );
  });

  it('ships every file the service reads beside its code', () => {
    const shipped = copiedSources(finalStage);
    expect(filesReadBesideTheCode().filter((path) => !shipped.includes(path))).toEqual([]);
  });

  // A build command CI never ran could break the image while CI stays green.
  it('every command of the build stage is one CI runs', () => {
    const ciCommands = npmCommandsOf(ciTargets(read('.ci/run')));
    expect(runCommands(buildStage).filter((command) => !ciCommands.includes(command))).toEqual([]);
  });

  it('CI installs exactly as the Dockerfile does', () => {
    const ciCommands = npmCommandsOf(ciTargets(read('.ci/run')));
    expect(ciCommands).toEqual(expect.arrayContaining(installCommands));
    expect(ciCommands.indexOf(installCommands[0]!)).toBe(0);
  });
});

describe('the image', () => {
  it('starts every stage from the official Node slim image of the major CI uses', () => {
    const major = /REQUIRED_MAJOR=(\d+)/.exec(read('tools/ensure-node.sh'))?.[1];
    expect(major).toBe('24');
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe(`>=${major}`);
    for (const stage of stages) expect(stage.base).toMatch(new RegExp(`^node:${major}(-bookworm)?-slim$`));
  });

  it('runs as a numeric non-root user, so Kubernetes can check runAsNonRoot', () => {
    const users = finalStage.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users).toHaveLength(1);
    const [user = '', group = user] = users[0]!.split(':');
    expect(user).toMatch(/^[1-9][0-9]*$/);
    expect(group).toMatch(/^[1-9][0-9]*$/);
    // The data folder must belong to that user, or a fresh volume there would not be writable.
    expect(runCommands(finalStage)).toContain('mkdir -p /data');
    expect(runCommands(finalStage)).toContain(`chown ${user}:${group} /data`);
  });

  it('keeps its data on a volume: the SQLite file lives under /data', () => {
    const env = finalStage.instructions
      .filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/\bDATABASE_URL=sqlite:\/data\/[^\s/]+\.db\b/);
    expect(finalStage.instructions).toContainEqual({ keyword: 'VOLUME', args: '["/data"]' });
  });

  it('checks /healthz with Node itself, since the slim image has no curl', () => {
    const healthchecks = finalStage.instructions.filter((i) => i.keyword === 'HEALTHCHECK');
    expect(healthchecks).toHaveLength(1);
    const command = /\bCMD\s+(\[.*\])$/.exec(healthchecks[0]!.args)?.[1];
    const argv = JSON.parse(command ?? 'null') as string[];
    expect(argv.slice(0, 2)).toEqual(['node', '-e']);
    expect(argv[2]).toContain('/healthz');
    expect(argv[2]).toContain('process.exit(r.ok ? 0 : 1)');
  });

  it('starts the compiled entry point with node directly, listening on the exposed port', () => {
    const cmd = finalStage.instructions.find((i) => i.keyword === 'CMD');
    expect(JSON.parse(cmd!.args)).toEqual(['node', '--max-semi-space-size=8', 'dist/server.js']);
    expect(finalStage.instructions).toContainEqual({ keyword: 'EXPOSE', args: '8080' });
    const env = finalStage.instructions
      .filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/\bPORT=8080\b/);
  });
});

describe('.dockerignore', () => {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('keeps everything out of the build context but what the stages copy', () => {
    expect(patterns[0]).toBe('*');
    const copied = new Set(stages.flatMap(copiedSources));
    const allowed = patterns.slice(1).map((pattern) => pattern.replace(/^!/, '').replace(/\/$/, ''));
    expect(allowed.sort()).toEqual([...copied].sort());
  });
});
