import { Size, Testing } from 'cdk8s';
import { Discourse } from '../lib/discourse';
import { DiscourseIngress, IngressTls, ingressAnnotations, resolveIngress } from '../lib/routing/ingress';
import { Manifest } from '../lib/core/manifest';
import { MINIMAL, find } from './fixtures';
import { expectValidManifests } from './schema';

function synthIngress(options: ConstructorParameters<typeof DiscourseIngress>[3] = {}, props = {}): Manifest[] {
  const chart = Testing.chart();
  const forum = new Discourse(chart, 'forum', { ...MINIMAL, ...props });
  new DiscourseIngress(chart, 'ingress', forum, options);
  return Testing.synth(chart) as Manifest[];
}

describe('DiscourseIngress', () => {
  test('routes external_hostname to the Service http port, which exists on the Service', () => {
    // GIVEN / WHEN
    const manifests = synthIngress();
    // THEN
    expectValidManifests(manifests);
    const ingress = find(manifests, 'Ingress', 'forum');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.rules).toEqual([
      { host: 'forum.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'forum', port: { name: 'http' } } } }] } },
    ]);
    const service = find(manifests, 'Service', ingress.spec.rules[0].http.paths[0].backend.service.name);
    expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain('http');
  });

  test('sticky sessions with the charm cookie max-age and an upload-sized body by default', () => {
    const a = find(synthIngress(), 'Ingress', 'forum').metadata.annotations;
    expect(a).toMatchObject({
      'nginx.ingress.kubernetes.io/affinity': 'cookie',
      'nginx.ingress.kubernetes.io/session-cookie-max-age': '3600',
      'nginx.ingress.kubernetes.io/session-cookie-name': 'FORUM_AFFINITY',
      'nginx.ingress.kubernetes.io/proxy-body-size': '20m',
    });
    expect(a).not.toHaveProperty('nginx.ingress.kubernetes.io/force-ssl-redirect');
  });

  test('/metrics is refused through a second, Exact-path Ingress on the same hosts', () => {
    const manifests = synthIngress({ extraHosts: ['www.forum.example.com'] });
    const deny = find(manifests, 'Ingress', 'forum-deny-metrics');
    expect(deny.metadata.annotations).toEqual({ 'nginx.ingress.kubernetes.io/whitelist-source-range': '127.0.0.1/32' });
    expect(deny.spec.rules.map((r: { host: string }) => r.host)).toEqual(['forum.example.com', 'www.forum.example.com']);
    expect(deny.spec.rules[0].http.paths[0]).toMatchObject({ path: '/metrics', pathType: 'Exact' });
  });

  test('cert-manager TLS: issuer annotation, secret <site>-tls, and force_https redirects', () => {
    const manifests = synthIngress({ tls: IngressTls.fromCertManager('letsencrypt') }, { forceHttps: true });
    const ingress = find(manifests, 'Ingress', 'forum');
    expect(ingress.metadata.annotations['cert-manager.io/cluster-issuer']).toBe('letsencrypt');
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/force-ssl-redirect']).toBe('true');
    expect(ingress.spec.tls).toEqual([{ hosts: ['forum.example.com'], secretName: 'forum-tls' }]);
  });

  test('an existing TLS Secret and a namespaced Issuer', () => {
    expect(find(synthIngress({ tls: IngressTls.fromSecret('wildcard') }), 'Ingress', 'forum').spec.tls[0].secretName).toBe('wildcard');
    const a = ingressAnnotations({ ...resolveIngress({ tls: IngressTls.fromCertManager('ca', 'Issuer') }).resolved, name: 'f', host: 'h', forceHttps: false });
    expect(a['cert-manager.io/issuer']).toBe('ca');
  });

  test('generic controllers get no nginx annotations and no deny Ingress; pass-through annotations win', () => {
    const manifests = synthIngress({
      controller: 'generic',
      className: 'traefik',
      annotations: { 'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure' },
    });
    const ingress = find(manifests, 'Ingress', 'forum');
    expect(ingress.metadata.annotations).toEqual({ 'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure' });
    expect(manifests.filter((m) => m.metadata.name === 'forum-deny-metrics')).toEqual([]);
  });

  test('extra paths are routed on every host', () => {
    const ingress = find(synthIngress({ paths: ['/forum', '/uploads'], extraHosts: ['b.example.com'] }), 'Ingress', 'forum');
    expect(ingress.spec.rules.map((r: { host: string; http: { paths: { path: string }[] } }) => [r.host, r.http.paths.map((p) => p.path)])).toEqual([
      ['forum.example.com', ['/forum', '/uploads']],
      ['b.example.com', ['/forum', '/uploads']],
    ]);
  });

  test('body size and stickiness are options', () => {
    const a = find(synthIngress({ maxBodySize: Size.mebibytes(100), stickySessions: false }), 'Ingress', 'forum').metadata.annotations;
    expect(a['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('100m');
    expect(a).not.toHaveProperty('nginx.ingress.kubernetes.io/affinity');
  });

  test.each([
    ['a bad extra host', { extraHosts: ['https://x'] }, /ingress\.extraHosts: "https:\/\/x" is not a hostname/],
    ['a bad TLS secret name', { tls: IngressTls.fromSecret('Bad_Name') }, /ingress\.tls: "Bad_Name" is not a Secret name/],
    ['a relative path', { paths: ['forum'] }, /ingress\.paths: "forum" is not an absolute URL path/],
    ['no paths at all', { paths: [] }, /ingress\.paths: is empty, so nothing would be routed/],
    ['a bad annotation key', { annotations: { 'bad key': 'x' } }, /ingress\.annotations: "bad key" is not a valid annotation key/],
    ['a body size under 1Mi', { maxBodySize: Size.kibibytes(10) }, /ingress\.maxBodySize: must be a whole number of Mi, at least 1Mi/],
  ])('fails if %s', (_n, options, expected) => {
    expect(
      resolveIngress(options)
        .problems.map((p) => `${p.path}: ${p.message}`)
        .join('\n'),
    ).toMatch(expected);
    expect(() => synthIngress(options)).toThrow(expected);
  });
});
