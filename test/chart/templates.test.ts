import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import {
  helperBody,
  manifestTemplates,
  readChartFile,
  skeleton,
  type SkeletonOptions,
  template,
  templates,
  valueAt,
  values,
  valuesPaths,
} from './chart-files.ts';

/**
 * The chart's templates, checked without Helm: each must be YAML whichever way its conditions go,
 * read only values that exist, and say what the issue asked (one replica on SQLite, probes,
 * security context, the gateway snippet).
 */

const VARIANTS: readonly SkeletonOptions[] = [
  { branch: 'first', ranges: 'once' },
  { branch: 'first', ranges: 'none' },
  { branch: 'second', ranges: 'once' },
  { branch: 'second', ranges: 'none' },
];

interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly spec?: Record<string, unknown>;
  readonly data?: Record<string, string>;
}

/** The manifests of one template under one choice of branches. */
function manifests(name: string, options: SkeletonOptions): Manifest[] {
  const documents = parseAllDocuments(skeleton(template(name), options).text);
  return documents.flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`${name}: ${document.errors[0]!.message}`);
    const content: unknown = document.toJS();
    return content === null ? [] : [content as Manifest];
  });
}

/** The SQLite layout: every condition true, one bot. */
const [deployment] = manifests('deployment.yaml', { branch: 'first', ranges: 'once' });
const podSpec = (deployment!.spec!.template as { spec: Record<string, unknown> }).spec;
const [container] = podSpec.containers as Record<string, unknown>[];

describe('every template', () => {
  it('has the files of a `helm create` layout', () => {
    expect([...templates.keys()]).toEqual(
      expect.arrayContaining([
        '_helpers.tpl',
        'NOTES.txt',
        'configmap.yaml',
        'deployment.yaml',
        'networkpolicy.yaml',
        'pvc.yaml',
        'secret.yaml',
        'service.yaml',
        'serviceaccount.yaml',
      ]),
    );
    const chart = parse(readChartFile('Chart.yaml'));
    const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'etm-terrain', type: 'application' });
    expect(chart.appVersion).toBe(packageJson.version);
  });

  it.each(manifestTemplates)(
    '%s is YAML of Kubernetes objects whichever branches its conditions take',
    (name) => {
      for (const options of VARIANTS) {
        for (const manifest of manifests(name, options)) {
          expect(manifest.apiVersion, `${name} ${JSON.stringify(options)}`).toMatch(/^[a-z0-9./]*v\d/);
          expect(manifest.kind).toMatch(/^[A-Z][A-Za-z]+$/);
          expect(manifest.metadata.name).toEqual(expect.any(String));
        }
      }
    },
  );

  it('reads only values that values.yaml defines', () => {
    const missing = [...templates.entries()].flatMap(([name, text]) =>
      valuesPaths(text)
        .filter((path) => valueAt(path) === undefined)
        .map((path) => `${name}: .Values.${path.join('.')}`),
    );
    expect(missing).toEqual([]);
  });

  it('uses every top-level value of values.yaml', () => {
    const used = new Set([...templates.values()].flatMap((text) => valuesPaths(text).map((path) => path[0])));
    expect(Object.keys(values).filter((key) => !used.has(key))).toEqual([]);
  });
});

describe('the deployment', () => {
  it('runs one replica of SQLite with the Recreate strategy, and RollingUpdate only on PostgreSQL', () => {
    expect(values.replicaCount).toBe(1);
    expect(valueAt(['database', 'engine'])).toBe('sqlite');
    expect(deployment!.spec!.strategy).toEqual({ type: 'Recreate' });
    const [other] = manifests('deployment.yaml', { branch: 'second', ranges: 'once' });
    expect(other!.spec!.strategy).toEqual({ type: 'RollingUpdate' });
    expect(template('deployment.yaml')).toMatch(
      /\{\{-? if include "etm-terrain\.sqlite" \. \}\}\s*(#.*\s*)*strategy:\s*type: Recreate/,
    );
  });

  it('refuses more than one replica unless the database is PostgreSQL', () => {
    expect(template('deployment.yaml').split('\n')[0]).toBe('{{- include "etm-terrain.validate" . }}');
    expect(helperBody('etm-terrain.validate')).toMatch(
      /\{\{- if and \(gt \(int \.Values\.replicaCount\) 1\) \(include "etm-terrain\.sqlite" \.\) \}\}\s*\{\{- fail /,
    );
    expect(helperBody('etm-terrain.sqlite')).toBe(
      '{{- if eq .Values.database.engine "sqlite" }}true{{ end }}',
    );
  });

  it('has a PodDisruptionBudget keeping one pod serving, only when there are several replicas', () => {
    const text = template('poddisruptionbudget.yaml');
    expect(text.split('\n')[0]).toBe('{{- if gt (int .Values.replicaCount) 1 }}');
    expect(text).toContain('{{- include "etm-terrain.selectorLabels" . | nindent 6 }}');
    const [budget] = manifests('poddisruptionbudget.yaml', { branch: 'first', ranges: 'once' });
    expect(budget).toMatchObject({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      spec: { minAvailable: 1 },
    });
    expect(manifests('poddisruptionbudget.yaml', { branch: 'second', ranges: 'once' })).toEqual([]);
  });

  it('probes liveness on /healthz and readiness on /readyz, on the container port the image exposes', () => {
    expect(container!.livenessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'http' } });
    expect(container!.readinessProbe).toMatchObject({ httpGet: { path: '/readyz', port: 'http' } });
    expect(container!.startupProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'http' } });
    expect(container!.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
    expect(dockerfile).toMatch(/^EXPOSE 8080$/m);
  });

  it('renders every setting the values schema allows for each probe', () => {
    const schema = JSON.parse(readChartFile('values.schema.json')) as {
      definitions: { probe: { properties: Record<string, unknown> } };
    };
    const settings = Object.keys(schema.definitions.probe.properties);
    for (const probe of ['startup', 'liveness', 'readiness'])
      for (const setting of settings)
        expect(template('deployment.yaml')).toContain(`{{ .Values.probes.${probe}.${setting} }}`);
  });

  it('runs non-root on a read-only root filesystem, without privileges or capabilities', () => {
    expect(template('deployment.yaml')).toContain('{{- toYaml .Values.securityContext | nindent 12 }}');
    expect(template('deployment.yaml')).toContain('{{- toYaml .Values.podSecurityContext | nindent 8 }}');
    expect(values.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(values.podSecurityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(podSpec.automountServiceAccountToken).toBe(false);
  });

  it('writes only to an emptyDir at /tmp and the data volume at /data, where DATABASE_URL points', () => {
    expect(container!.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'data', mountPath: '/data' },
    ]);
    const volumes = podSpec.volumes as { name: string }[];
    expect(volumes.map((volume) => volume.name)).toEqual(['tmp', 'data']);
    expect(volumes[0]).toMatchObject({ emptyDir: { sizeLimit: expect.any(String) } });
    expect(volumes[1]).toMatchObject({ persistentVolumeClaim: { claimName: expect.any(String) } });
    const [configMap] = manifests('configmap.yaml', { branch: 'first', ranges: 'none' });
    expect(template('configmap.yaml')).toContain(
      'DATABASE_URL: {{ printf "sqlite:/data/%s" .Values.database.sqliteFile | quote }}',
    );
    expect(configMap!.data).toHaveProperty('DATABASE_URL');
  });

  it('gives the service its own shutdown grace period, plus a margin', () => {
    expect(template('deployment.yaml')).toContain(
      'terminationGracePeriodSeconds: {{ add 5 (div (int64 .Values.config.shutdownGraceMs) 1000) }}',
    );
  });

  it('restarts the pod when its settings or secrets change', () => {
    const annotations = (deployment!.spec!.template as { metadata: { annotations: Record<string, string> } })
      .metadata.annotations;
    expect(Object.keys(annotations)).toEqual(expect.arrayContaining(['checksum/config', 'checksum/secret']));
  });
});

describe('the other objects', () => {
  it('serves HTTP on the Service port of values.yaml, 8080 by default', () => {
    const [service] = manifests('service.yaml', { branch: 'first', ranges: 'once' });
    expect(valueAt(['service', 'port'])).toBe(8080);
    expect(service!.spec!.ports).toEqual([
      { port: expect.any(String), targetPort: 'http', protocol: 'TCP', name: 'http' },
    ]);
  });

  it('keeps the data claim on uninstall unless told otherwise', () => {
    const [claim] = manifests('pvc.yaml', { branch: 'first', ranges: 'once' });
    expect(claim!.kind).toBe('PersistentVolumeClaim');
    expect(valueAt(['persistence', 'keepOnUninstall'])).toBe(true);
    expect(template('pvc.yaml')).toContain('helm.sh/resource-policy: keep');
  });

  it('lets in only the gateway namespace and lets out only DNS and the configured remotes', () => {
    const [policy] = manifests('networkpolicy.yaml', { branch: 'first', ranges: 'once' });
    expect(policy!.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    const ingress = policy!.spec!.ingress as { from: Record<string, unknown>[] }[];
    expect(ingress).toHaveLength(1);
    expect(template('networkpolicy.yaml')).toContain(
      'kubernetes.io/metadata.name: {{ .Values.networkPolicy.ingress.gatewayNamespace | quote }}',
    );
    const remotes = /range \$remote := list ((?:"[a-z]+" ?)+)/.exec(template('networkpolicy.yaml'))?.[1];
    const egressKeys = Object.keys(valueAt(['networkPolicy', 'egress']) as object);
    expect(
      remotes
        ?.trim()
        .split(' ')
        .map((word) => JSON.parse(word) as string),
    ).toEqual(egressKeys.filter((key) => key !== 'dns'));
    // A rule without `to` would open every destination: remotes with no address get no rule.
    expect(template('networkpolicy.yaml')).toMatch(
      /\{\{- if or \$rule\.cidrs \$rule\.peers \}\}\s*#.*\s*- to:/,
    );
  });

  it('refuses the assistant without a way out to Ollama, and ships it off', () => {
    expect(valueAt(['config', 'ollama', 'assistantEnabled'])).toBe(false);
    expect(valueAt(['config', 'ollama', 'url'])).toBe('');
    expect(helperBody('etm-terrain.validate')).toContain(
      'if and .Values.config.ollama.assistantEnabled .Values.networkPolicy.enabled (not (or $ollama.cidrs $ollama.peers))',
    );
  });

  it('refuses Nextcloud or PostgreSQL without a way out to them', () => {
    expect(helperBody('etm-terrain.validate')).toContain(
      'if and .Values.config.nextcloud.url .Values.networkPolicy.enabled (not (or $nextcloud.cidrs $nextcloud.peers))',
    );
    expect(helperBody('etm-terrain.validate')).toContain(
      'if and (not (include "etm-terrain.sqlite" .)) .Values.networkPolicy.enabled (not (or $database.cidrs $database.peers))',
    );
  });

  it('allows Telegram on 443 out of the box and nothing else but DNS', () => {
    const egress = valueAt(['networkPolicy', 'egress']) as Record<
      string,
      { cidrs?: string[]; peers: unknown[] }
    >;
    expect(egress.telegram!.cidrs).toContain('149.154.160.0/20');
    for (const remote of ['nextcloud', 'ollama', 'database']) {
      expect(egress[remote]).toMatchObject({ cidrs: [], peers: [] });
    }
  });
});

describe('NOTES.txt', () => {
  const known: Record<string, string> = {
    '.Release.Namespace': 'etm',
    '.Values.service.port': '8080',
    '.slug': 'etm-terrain',
    'include "etm-terrain.fullname" .': 'etm-terrain',
  };

  /** Evaluates the few expressions NOTES.txt prints: known atoms, variables and `printf`. */
  function evaluate(expression: string, variables: ReadonlyMap<string, string>): string | undefined {
    if (expression in known) return known[expression];
    const variable = variables.get(expression);
    if (variable !== undefined) return evaluate(variable, variables);
    const printf = /^printf "([^"]*)" (.+)$/.exec(expression);
    if (!printf) return undefined;
    const args = printf[2]!.split(' ').map((arg) => evaluate(arg, variables) ?? `<${arg}>`);
    return printf[1]!.replaceAll(/%[sv]/g, () => args.shift() ?? '');
  }

  const notes = (ranges: SkeletonOptions['ranges'], branch: SkeletonOptions['branch']) =>
    skeleton(template('NOTES.txt'), { branch, ranges, resolve: evaluate }).text;

  /** The `bots:` map the notes tell the admin to put in the gateway's values. */
  function gatewaySnippet(text: string): unknown {
    const lines = text.split('\n');
    const start = lines.findIndex((line) => line.trim() === 'bots:');
    const end = lines.findIndex((line, index) => index > start && line.trim() === '');
    return parse(lines.slice(start, end).join('\n'));
  }

  const entry = {
    handler: 'http',
    http: { url: 'http://etm-terrain.etm.svc.cluster.local:8080/telegram/update', timeout: '5s' },
  };

  it("prints the gateway values snippet for each bot, in the gateway's format: a map by slug", () => {
    expect(gatewaySnippet(notes('once', 'first'))).toEqual({ bots: { 'etm-terrain': entry } });
  });

  it('prints it for the demo slug when no bot is configured', () => {
    expect(gatewaySnippet(notes('none', 'second'))).toEqual({ bots: { demo: entry } });
  });

  it('is the snippet of the README and of docs/cluster-admin.md', () => {
    for (const file of ['../../README.md', '../../docs/cluster-admin.md']) {
      const text = readFileSync(new URL(file, import.meta.url), 'utf8');
      const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);
      const gateway = blocks.filter((block) => block.includes('handler: http'));
      expect(gateway, file).toHaveLength(1);
      const documented = parse(gateway[0]!.replaceAll('<namespace>', 'etm')) as unknown;
      expect(documented, file).toEqual({ bots: { 'etm-terrain': entry } });
    }
  });
});
