import { parseAllDocuments, parse } from 'yaml';
import { Manifest } from '../lib/core/manifest';
import { Json, fixtureTree } from './fixtures';

/**
 * The per-site checklist (`dist/<site>/README.md`): what the cluster needs and every
 * Secret the site reads, with a command that creates it, read from the rendered objects.
 */

const tree = fixtureTree();
const manifestsOf = (site: string): Manifest[] =>
  [...tree.entries()]
    .filter(([p]) => p.startsWith(`${site}/`) && p.endsWith('.yaml') && !p.endsWith('kustomization.yaml'))
    .flatMap(([, text]) => parseAllDocuments(text).map((d) => d.toJS() as Manifest));

/** Every Secret the objects of a site reference, found independently of the checklist code. */
function referencedSecrets(manifests: readonly Manifest[]): Set<string> {
  const names = new Set<string>();
  const walk = (v: unknown, parentKey = ''): void => {
    if (Array.isArray(v)) return v.forEach((x) => walk(x, parentKey));
    if (v === null || typeof v !== 'object') return;
    const o = v as Json;
    if (parentKey === 'secretKeyRef' || parentKey === 'imagePullSecrets') names.add(o.name);
    if (typeof o.secretName === 'string') names.add(o.secretName);
    if (parentKey === 's3Credentials') for (const ref of Object.values(o)) names.add((ref as Json).name);
    for (const [k, child] of Object.entries(o)) walk(child, k);
  };
  manifests.forEach((m) => walk(m));
  return names;
}

describe.each(['example', 'full', 'day0', 'observability'])('the checklist of the %s fixture', (site) => {
  const text = tree.get(`${site}/README.md`)!;
  const manifests = manifestsOf(site);

  test('exists and is not a Kubernetes object listed in the kustomization', () => {
    expect(text).toMatch(new RegExp(`^# ${site}: before the first sync\\n`));
    expect((parse(tree.get(`${site}/kustomization.yaml`)!) as Json).resources).not.toContain('README.md');
  });

  test('lists every Secret the objects reference, each with a command or the operator that makes it', () => {
    const listed = [...text.matchAll(/^### `([^`]+)`$/gm)].map((m) => m[1]);
    const created = [...text.matchAll(/^\| `([^`]+)` \| [^|]+ \| [^|]+ \| [^|]+ \|$/gm)].map((m) => m[1]).filter((n) => !listed.includes(n));
    expect([...referencedSecrets(manifests)].filter((n) => !listed.includes(n) && !created.includes(n))).toEqual([]);
    for (const name of listed) expect(text).toMatch(new RegExp(`kubectl -n \\S+ create secret (generic|docker-registry|tls) ${name}\\b`));
  });

  test('opens with a Mermaid picture naming the site, its Secrets and its Jobs in order', () => {
    const diagram = /```mermaid\n([\s\S]*?)\n```/.exec(text)![1];
    expect(diagram.split('\n')[0]).toBe('flowchart LR');
    for (const name of referencedSecrets(manifests)) expect(diagram).toContain(`{{"Secret ${name}"}}`);
    const jobs = [...diagram.matchAll(/\["(\S+) \(wave (-?\d+)\)"\]/g)].map((m) => [m[1].replace(`${site}-`, ''), Number(m[2])] as const);
    // Argo CD's order: the waves never go back, and the pre-deploy migration leads its wave.
    expect(jobs.map(([, w]) => w)).toEqual([...jobs.map(([, w]) => w)].sort((a, b) => a - b));
    expect(jobs.find(([, w]) => w === -1)?.[0]).toBe('migrate');
  });
});

describe('checklist content', () => {
  const example = tree.get('example/README.md')!;
  const full = tree.get('full/README.md')!;
  const day0 = tree.get('day0/README.md')!;

  test('random values for what Discourse wants random, placeholders for what only the user knows', () => {
    expect(example).toContain('--from-literal=secret-key-base="$(openssl rand -hex 64)"');
    expect(example).toContain("--from-literal=password='<SMTP password>'");
    expect(full).toContain("--from-literal=client-secret='<client secret from your identity provider>'");
    expect(full).toContain("--from-literal=license-key='<value>'");
    // A Redis the site runs gets a random password; one it does not run needs the real one.
    expect(day0).toMatch(/create secret generic day0-redis \\\n {2}--from-literal=password="\$\(openssl rand -hex 32\)"/);
    expect(example).toContain("--from-literal=password='<your Redis password>'");
  });

  test('Secrets an operator writes are not for the user to create', () => {
    expect(example).toMatch(/\| `discourse-db-app` \| `dbname`, `host`, `password`, `port`, `username` \| CloudNativePG/);
    expect(example).not.toMatch(/create secret generic discourse-db-app/);
    expect(full).toMatch(/\| `hippo-pguser-discourse` \| .* \| Crunchy PGO/);
    expect(example).toMatch(/\| `example-tls` \| .* \| cert-manager/);
    // An existing TLS Secret is the user's.
    expect(full).toContain('kubectl -n full-forum create secret tls full-tls --cert=<path/to/tls.crt> --key=<path/to/tls.key>');
  });

  test('the prerequisites follow the options: CloudNativePG versions, monitoring CRDs, cert-manager, metrics-server', () => {
    const row = (text: string, name: string) => text.split('\n').find((l) => l.startsWith(`| ${name}`));
    expect(row(day0, 'CloudNativePG operator and CRDs')).toContain('| yes | 1.27 | `database.cloudnativepg.create` |');
    expect(row(example, 'CloudNativePG operator and CRDs')).toContain('| yes | 1.26 |');
    expect(row(full, 'Crunchy PGO')).toBeDefined();
    expect(row(full, 'metrics-server')).toContain('`autoscaling`');
    expect(row(example, 'Prometheus Operator CRDs')).toContain('`monitoring: { enabled: false }`');
    expect(row(full, 'cert-manager')).toBeUndefined();
  });

  test('never holds a Secret value of the site files', () => {
    for (const text of [example, full, day0]) expect(text).not.toMatch(/from-literal=[\w-]+=(?!["']?[<$])/);
  });
});

describe('the checklist says what the dashboards and the logs need', () => {
  const rows = (site: string) =>
    tree
      .get(`${site}/README.md`)!
      .split('\n')
      .filter((l) => l.startsWith('| '));
  const row = (site: string, what: RegExp) => rows(site).filter((l) => what.test(l));

  test('the sidecar: the label and the namespace it must watch', () => {
    expect(row('example', /dashboard sidecar/)).toEqual([expect.stringContaining('labelled grafana_dashboard=1 in namespace discourse')]);
    expect(row('full', /dashboard sidecar/)).toEqual([expect.stringContaining('in namespace grafana')]);
  });

  test('the Grafana Operator (required: its CRD) and a Grafana matching the selector, in any namespace with cross-namespace import', () => {
    expect(row('observability', /Grafana Operator and its CRDs/)).toEqual([
      expect.stringMatching(/\| yes \| 5\.18 \| `monitoring\.dashboards: grafana-operator` \|/),
    ]);
    expect(row('observability', /a `Grafana` resource/)).toEqual([
      expect.stringContaining('labelled dashboards=grafana in any namespace (allowCrossNamespaceImport)'),
    ]);
    expect(row('observability', /dashboard sidecar/)).toEqual([]);
    expect(row('example', /Grafana Operator/)).toEqual([]);
  });

  test('the log store: Loki or an OpenTelemetry collector at the URL the layers push to', () => {
    expect(row('full', /^\| Loki/)).toEqual([expect.stringContaining('http://loki.monitoring:3100/loki/api/v1/push (and Pebble v1.6.0 or later')]);
    expect(row('observability', /OpenTelemetry collector/)).toEqual([
      expect.stringContaining('OTLP/HTTP at http://alloy.monitoring:4318 (and Pebble v1.25.0 or later'),
    ]);
    expect(row('example', /Loki|OpenTelemetry/)).toEqual([]);
  });
});
