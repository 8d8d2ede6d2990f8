import { readFileSync } from 'fs';
import { join } from 'path';
import { Size, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { siteFromText } from '../app/resolve-site';
import { buildSiteChart } from '../app/site-chart';
import { prerequisites } from '../app/checklist';
import { Discourse } from '../lib/discourse';
import { HTTP_PORT, METRICS_PORT } from '../lib/model/environment';
import { DiscourseGatewayRoute, DiscourseGatewayRouteProps, GatewayImplementation, resolveGatewayRoute } from '../lib/routing/gateway-route';
import { Manifest } from '../lib/core/manifest';
import { MINIMAL, Json, find, fixtureManifests } from './fixtures';
import { expectValidManifests } from './schema';

/**
 * The site's HTTPRoute on a Gateway: what it routes, what it refuses, the policies each
 * implementation gets, and the site file's `gateway:` section.
 */

function render(props: Partial<DiscourseGatewayRouteProps> = {}, forceHttps = true): Manifest[] {
  const chart = Testing.chart();
  const discourse = new Discourse(chart, 'forum', { ...MINIMAL, forceHttps });
  new DiscourseGatewayRoute(chart, 'gateway', discourse, { gatewayName: 'shared', gatewayNamespace: 'gateway-system', ...props });
  return Testing.synth(chart) as Manifest[];
}

// ---- Gateway API's matching, as the spec states it, to prove what reaches the app ----

interface Rule {
  readonly matches?: { readonly path?: { readonly type?: string; readonly value?: string } }[];
  readonly backendRefs?: { readonly name: string; readonly port?: number; readonly kind?: string }[];
  readonly filters?: { readonly type: string }[];
}

/** Whether a path match (PathPrefix by whole path elements, or Exact) takes `path`; its precedence key. */
function matchOf(m: NonNullable<Rule['matches']>[number], path: string): { exact: boolean; length: number } | undefined {
  const type = m.path?.type ?? 'PathPrefix';
  const value = m.path?.value ?? '/';
  if (type === 'Exact') return path === value ? { exact: true, length: value.length } : undefined;
  if (type !== 'PathPrefix') throw new Error(`the proof does not model ${type} matches: add it before using one`);
  const prefix = value.endsWith('/') ? value : `${value}/`;
  return path === value || path.startsWith(prefix) || value === '/' ? { exact: false, length: value.length } : undefined;
}

/**
 * The rule of `routes` (one host, one listener) that takes `path`, by Gateway API's
 * precedence: an Exact match first, then the longest PathPrefix. Unmatched: undefined (404).
 */
function ruleFor(routes: readonly Json[], path: string): Rule | undefined {
  let best: { rule: Rule; exact: boolean; length: number } | undefined;
  for (const route of routes) {
    for (const rule of (route.spec.rules ?? []) as Rule[]) {
      for (const m of rule.matches ?? [{ path: { type: 'PathPrefix', value: '/' } }]) {
        const hit = matchOf(m, path);
        if (hit && (!best || (hit.exact && !best.exact) || (hit.exact === best.exact && hit.length > best.length))) best = { rule, ...hit };
      }
    }
  }
  return best?.rule;
}

/** Routes, by listener, of the site's HTTPRoutes. */
function byListener(manifests: readonly Manifest[]): Map<string, Json[]> {
  const out = new Map<string, Json[]>();
  for (const route of manifests.filter((m) => m.kind === 'HTTPRoute') as Json[]) {
    for (const parent of route.spec.parentRefs as { sectionName: string }[]) out.set(parent.sectionName, [...(out.get(parent.sectionName) ?? []), route]);
  }
  return out;
}

const METRICS_PATHS = ['/metrics', '/metrics/', '/metrics/anything'];

/** Every (listener, path) where a request for the collector would reach the app, and every backend on the metrics port. */
function metricsLeaks(manifests: readonly Manifest[]): string[] {
  const leaks: string[] = [];
  for (const [listener, routes] of byListener(manifests)) {
    for (const path of METRICS_PATHS) {
      const rule = ruleFor(routes, path);
      if (rule && (rule.backendRefs ?? []).length > 0) leaks.push(`${listener} ${path} → ${rule.backendRefs!.map((b) => `${b.name}:${b.port}`).join(', ')}`);
    }
    for (const route of routes)
      for (const rule of route.spec.rules as Rule[])
        for (const b of rule.backendRefs ?? []) if (b.port !== HTTP_PORT) leaks.push(`${route.metadata.name}: a backend on port ${b.port}`);
  }
  return leaks;
}

describe('DiscourseGatewayRoute', () => {
  test('routes the hostname to the Service http port on the HTTPS listener, and redirects plain HTTP with 301', () => {
    // WHEN
    const manifests = render();
    // THEN
    const route = find(manifests, 'HTTPRoute', 'forum');
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.spec.parentRefs).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'shared', namespace: 'gateway-system', sectionName: 'https' },
    ]);
    expect(route.spec.hostnames).toEqual(['forum.example.com']);
    const service = find(manifests, 'Service', 'forum');
    expect(route.spec.rules[0].backendRefs).toEqual([{ group: '', kind: 'Service', name: service.metadata.name, port: HTTP_PORT }]);
    expect(service.spec.ports.find((p: Json) => p.port === HTTP_PORT).name).toBe('http');
    const redirect = find(manifests, 'HTTPRoute', 'forum-redirect');
    expect(redirect.spec.parentRefs.map((p: Json) => p.sectionName)).toEqual(['http']);
    expect(redirect.spec.rules).toEqual([{ name: 'to-https', filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }]);
    expect(redirect.spec.rules[0].backendRefs).toBeUndefined();
  });

  test('without force_https the forum answers on both listeners and nothing redirects', () => {
    const manifests = render({}, false);
    expect(find(manifests, 'HTTPRoute', 'forum').spec.parentRefs.map((p: Json) => p.sectionName)).toEqual(['https', 'http']);
    expect(manifests.filter((m) => m.metadata.name === 'forum-redirect')).toEqual([]);
  });

  describe('/metrics and the Prometheus port never reach the app through the Gateway', () => {
    test.each<[string, Partial<DiscourseGatewayRouteProps>, boolean]>([
      ['standard, force_https', {}, true],
      ['standard, plain HTTP too', {}, false],
      ['envoy-gateway, experimental, extra hosts', { implementation: 'envoy-gateway', experimental: true, extraHosts: ['www.forum.example.com'] }, true],
      ['nginx-gateway-fabric, plain HTTP too', { implementation: 'nginx-gateway-fabric' }, false],
    ])('%s', (_name, props, forceHttps) => {
      const manifests = render(props, forceHttps);
      expect(metricsLeaks(manifests)).toEqual([]);
      // and the rest of the forum does reach it, on the HTTPS listener
      expect(ruleFor(byListener(manifests).get('https')!, '/t/welcome/1')?.backendRefs?.[0].port).toBe(HTTP_PORT);
      expect(ruleFor(byListener(manifests).get('https')!, '/metricsfoo')?.backendRefs?.[0].port).toBe(HTTP_PORT);
    });

    test('fails if a rule routed /metrics to the app, or a backend were the metrics port (the proof is not vacuous)', () => {
      const manifests = render() as Json[];
      const leaky = (mutate: (rules: Json[]) => void) =>
        manifests.map((m) => {
          if (m.kind !== 'HTTPRoute' || m.metadata.name !== 'forum') return m;
          const copy = JSON.parse(JSON.stringify(m)) as Json;
          mutate(copy.spec.rules);
          return copy;
        }) as Manifest[];
      const app = { group: '', kind: 'Service', name: 'forum', port: HTTP_PORT };
      expect(metricsLeaks(leaky((rules) => rules.splice(1)))).toEqual(expect.arrayContaining(['https /metrics → forum:3000']));
      expect(metricsLeaks(leaky((rules) => (rules[1].backendRefs = [app])))).toContain('https /metrics → forum:3000');
      expect(metricsLeaks(leaky((rules) => rules.push({ matches: [{ path: { type: 'Exact', value: '/metrics' } }], backendRefs: [app] })))).toContain(
        'https /metrics → forum:3000',
      );
      expect(metricsLeaks(leaky((rules) => (rules[0].backendRefs = [{ ...app, port: METRICS_PORT }])))).toContain(`forum: a backend on port ${METRICS_PORT}`);
    });
  });

  test('envoy-gateway: a BackendTrafficPolicy on the route with the body limit and the sticky cookie', () => {
    const manifests = render({ implementation: 'envoy-gateway', maxBodySize: Size.mebibytes(50) });
    const policy = find(manifests, 'BackendTrafficPolicy', 'forum');
    expect(policy.spec).toEqual({
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'forum' }],
      requestBuffer: { limit: '50Mi' },
      loadBalancer: {
        type: 'ConsistentHash',
        consistentHash: { type: 'Cookie', cookie: { name: 'FORUM_AFFINITY', ttl: '3600s', attributes: { SameSite: 'Lax' } } },
      },
    });
    expect(manifests.filter((m) => m.kind === 'ClientSettingsPolicy')).toEqual([]);
  });

  test('experimental: sessionPersistence on the forum rule (and no second stickiness from Envoy Gateway)', () => {
    const manifests = render({ implementation: 'envoy-gateway', experimental: true });
    const route = find(manifests, 'HTTPRoute', 'forum');
    expect(route.spec.rules[0].sessionPersistence).toEqual({
      sessionName: 'FORUM_AFFINITY',
      type: 'Cookie',
      absoluteTimeout: '3600s',
      cookieConfig: { lifetimeType: 'Permanent' },
    });
    expect(find(manifests, 'BackendTrafficPolicy', 'forum').spec.loadBalancer).toBeUndefined();
    expect(render({ experimental: true, stickySessions: false }).find((m) => m.kind === 'HTTPRoute')!.spec).not.toHaveProperty('rules.0.sessionPersistence');
  });

  test('nginx-gateway-fabric: a ClientSettingsPolicy on the route with body.maxSize; no stickiness without the experimental channel', () => {
    const manifests = render({ implementation: 'nginx-gateway-fabric' });
    expect(find(manifests, 'ClientSettingsPolicy', 'forum').spec).toEqual({
      targetRef: { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'forum' },
      body: { maxSize: '20m' },
    });
    expect(find(manifests, 'HTTPRoute', 'forum').spec.rules[0].sessionPersistence).toBeUndefined();
  });

  test('standard: only Gateway API objects', () => {
    expect([...new Set(render().map((m) => `${m.apiVersion} ${m.kind}`))].filter((k) => k.includes('gateway'))).toEqual([
      'gateway.networking.k8s.io/v1 HTTPRoute',
    ]);
  });

  test.each<GatewayImplementation>(['standard', 'envoy-gateway', 'nginx-gateway-fabric'])('%s: every object is schema-valid', (implementation) => {
    expectValidManifests(render({ implementation }));
    expectValidManifests(render({ implementation, experimental: true }, false));
  });

  test('fails if the options are wrong, each once, in the caller words', () => {
    const { problems } = resolveGatewayRoute(
      {
        gatewayName: 'Bad_Name',
        gatewayNamespace: 'No',
        sectionName: 'http',
        implementation: 'istio' as GatewayImplementation,
        maxBodySize: Size.kibibytes(10),
        dataPlaneLabels: {},
      },
      'forum',
    );
    expect(problems.map((p) => p.path)).toEqual([
      'gateway.gatewayName',
      'gateway.gatewayNamespace',
      'gateway.httpSectionName',
      'gateway.implementation',
      'gateway.maxBodySize',
      'gateway.dataPlaneLabels',
    ]);
  });
});

// ---- Standard channel only, unless experimental: no field outside the channel's schema ----

const CRDS = join(__dirname, '..', 'crds');
const schemaOf = (file: string): Json => (parse(readFileSync(file, 'utf8')) as Json).spec.versions[0].schema.openAPIV3Schema;

/** Paths of `value` that `schema` does not name (the API server would drop them). */
function outside(schema: Json | undefined, value: unknown, at = ''): string[] {
  if (schema === undefined) return [at];
  if (Array.isArray(value)) return value.flatMap((v, i) => outside(schema.items, v, `${at}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  if (schema.additionalProperties) return [];
  if (schema.properties === undefined) return schema.type === 'object' && at.endsWith('metadata') ? [] : [];
  return Object.entries(value as Json).flatMap(([k, v]) => outside((schema.properties as Json)[k], v, `${at}.${k}`));
}

describe('the routes stay on their channel', () => {
  const standard = schemaOf(join(CRDS, 'gateway.networking.k8s.io_httproutes.yaml'));
  const experimental = schemaOf(join(CRDS, 'experimental', 'gateway.networking.k8s.io_httproutes.yaml'));

  test('without experimental, every HTTPRoute field is in the Standard channel', () => {
    for (const implementation of ['standard', 'envoy-gateway', 'nginx-gateway-fabric'] as const) {
      const routes = render({ implementation }).filter((m) => m.kind === 'HTTPRoute');
      expect(routes.flatMap((r) => outside(standard, r))).toEqual([]);
    }
  });

  test('with experimental, the route needs the Experimental channel, and only for sessionPersistence', () => {
    const routes = render({ experimental: true }).filter((m) => m.kind === 'HTTPRoute');
    expect(routes.flatMap((r) => outside(standard, r))).toEqual(['.spec.rules[0].sessionPersistence']);
    expect(routes.flatMap((r) => outside(experimental, r))).toEqual([]);
  });
});

// ---- The site file ----

const SITE = `
namespace: forum
image: { repository: discourse, tag: "1.0" }
config: { external_hostname: forum.example.com, force_https: true }
database: { cloudnativepg: { cluster: forum-db } }
redis: { host: forum-redis }
secret_key_base: { secret: forum-skb, key: secret-key-base }
`;

function site(extra: string): { manifests: Json[]; problems: string[] } {
  const { resolved, problems } = siteFromText(`${SITE}${extra}`, 'sites/forum.yaml');
  if (!resolved) return { manifests: [], problems: problems.map((p) => `${p.path}: ${p.message}`) };
  return { manifests: buildSiteChart(resolved).toJson() as Json[], problems: [] };
}

describe('the gateway: section', () => {
  test('replaces the Ingress, and the NetworkPolicy admits the Gateway proxy pods, not ingress-nginx', () => {
    const { manifests } = site('gateway: { name: eg, namespace: envoy-gateway-system, implementation: envoy-gateway }\n');
    expect(manifests.filter((m) => m.kind === 'Ingress')).toEqual([]);
    expect(find(manifests as Manifest[], 'HTTPRoute', 'forum').spec.parentRefs[0]).toMatchObject({ name: 'eg', namespace: 'envoy-gateway-system' });
    const policy = find(manifests as Manifest[], 'NetworkPolicy', 'forum');
    expect(policy.spec.ingress[0]).toEqual({
      from: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'envoy-gateway-system' } },
          podSelector: {
            matchLabels: { 'gateway.envoyproxy.io/owning-gateway-name': 'eg', 'gateway.envoyproxy.io/owning-gateway-namespace': 'envoy-gateway-system' },
          },
        },
      ],
      ports: [{ protocol: 'TCP', port: 'http' }],
    });
  });

  test("nginx-gateway-fabric and standard: the proxies beside the Gateway, by GEP-1762's label; data_plane_* override", () => {
    const ngf = find(site('gateway: { name: ngf, implementation: nginx-gateway-fabric }\n').manifests as Manifest[], 'NetworkPolicy', 'forum');
    expect(ngf.spec.ingress[0].from).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'forum' } },
        podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'ngf' } },
      },
    ]);
    const own = find(
      site('gateway: { name: gw, data_plane_namespace: istio-ingress, data_plane_labels: { istio: ingressgateway } }\n').manifests as Manifest[],
      'NetworkPolicy',
      'forum',
    );
    expect(own.spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-ingress' } }, podSelector: { matchLabels: { istio: 'ingressgateway' } } },
    ]);
  });

  test('fails if ingress: is set too, with one problem that says how to move', () => {
    expect(site('ingress: { class_name: nginx }\ngateway: { name: eg }\n').problems).toEqual([
      'gateway: is set together with ingress: (a site is routed by one of them)',
    ]);
  });

  test('fails if the Gateway is not named', () => {
    expect(site('gateway: { implementation: envoy-gateway }\n').problems).toEqual(['gateway.name: is required']);
  });

  test('keep_ingress: the Ingress and the route both, and HTTP admitted from both the Gateway and ingress-nginx, for the one sync of the move', () => {
    const { manifests, problems } = site('ingress: { class_name: nginx }\ngateway: { name: eg, keep_ingress: true }\n');
    expect(problems).toEqual([]);
    expect(manifests.filter((m) => ['Ingress', 'HTTPRoute'].includes(m.kind)).map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
      'Ingress/forum',
      'Ingress/forum-deny-metrics',
      'HTTPRoute/forum',
      'HTTPRoute/forum-redirect',
    ]);
    const from = find(manifests as Manifest[], 'NetworkPolicy', 'forum').spec.ingress[0].from as Json[];
    expect(from.map((f) => f.namespaceSelector.matchLabels['kubernetes.io/metadata.name'])).toEqual(['forum', 'ingress-nginx']);
  });

  test('the checklist names what the Gateway owner must give the route', () => {
    const { resolved } = siteFromText(`${SITE}gateway: { name: shared, namespace: gateway-system }\n`, 'sites/forum.yaml');
    const rows = prerequisites(buildSiteChart(resolved!).toJson() as Manifest[], resolved!).map((p) => p.name);
    expect(rows).toEqual(
      expect.arrayContaining([
        'Gateway API CRDs (Standard channel) and an implementation',
        'Gateway gateway-system/shared with listeners `https` (HTTPS) and `http` (HTTP, the redirect) for forum.example.com',
        expect.stringContaining("Gateway gateway-system/shared's listeners admit routes from namespace `forum`"),
        expect.stringContaining('cert-manager with Gateway API support'),
        expect.stringContaining('the request body limit on Gateway gateway-system/shared: at least 20Mi'),
        expect.stringContaining('no sticky sessions'),
      ]),
    );
    expect(rows.filter((r) => r === 'ingress-nginx' || r === 'an Ingress controller')).toEqual([]);
  });
});

describe('the fixture sites on a Gateway', () => {
  const all = fixtureManifests();
  test.each(['gateway-standard', 'gateway-envoy', 'gateway-nginx'])('%s: an HTTPRoute, no Ingress, schema-valid, nothing to /metrics', (name) => {
    const mine = all.filter((m) => m.metadata?.labels?.['app.kubernetes.io/instance'] === name) as Manifest[];
    expect(mine.filter((m) => m.kind === 'Ingress')).toEqual([]);
    expect(mine.filter((m) => m.kind === 'HTTPRoute').length).toBeGreaterThan(0);
    expect(metricsLeaks(mine)).toEqual([]);
    expectValidManifests(mine);
  });
});
