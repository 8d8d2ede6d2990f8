import { expectValidManifests, validateManifests } from './schema';

function deployment(spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'forum', namespace: 'discourse' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'forum' } },
      template: {
        metadata: { labels: { app: 'forum' } },
        spec: {
          containers: [
            {
              name: 'discourse',
              image: 'discourse/discourse:3.3.2',
              ports: [{ name: 'http', containerPort: 3000 }],
            },
          ],
        },
      },
      ...spec,
    },
  };
}

function service(port: unknown): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'forum' },
    spec: {
      selector: { app: 'forum' },
      ports: [{ name: 'http', port, targetPort: 'http' }],
    },
  };
}

function serviceMonitor(port: unknown): Record<string, unknown> {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: 'forum' },
    spec: {
      selector: { matchLabels: { app: 'forum' } },
      endpoints: [{ port, path: '/metrics', interval: '30s' }],
    },
  };
}

function fluxKustomization(spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'forum', namespace: 'flux-system' },
    spec: {
      interval: '10m',
      path: './deploy',
      prune: true,
      ...spec,
    },
  };
}

describe('validateManifests', () => {
  test('accepts a valid Deployment', () => {
    // GIVEN
    const manifests = [deployment()];

    // WHEN
    const errors = validateManifests(manifests);

    // THEN
    expect(errors).toEqual([]);
    expectValidManifests(manifests);
  });

  test('rejects a Deployment whose replicas is a string, naming the path', () => {
    // GIVEN
    const manifests = [deployment({ replicas: 'two' })];

    // WHEN
    const errors = validateManifests(manifests);

    // THEN
    expect(errors).toEqual(['Deployment/forum: /spec/replicas must be integer']);
  });

  test('rejects a Service whose port is not a number', () => {
    // GIVEN
    const manifests = [service(8080), service('http')];

    // WHEN
    const errors = validateManifests(manifests);

    // THEN
    expect(errors).toEqual(['Service/forum: /spec/ports/0/port must be integer']);
  });

  test('validates ServiceMonitors against the prometheus-operator schema', () => {
    // GIVEN
    const valid = serviceMonitor('http');
    const invalid = serviceMonitor(3000);

    // WHEN
    const errors = validateManifests([valid, invalid]);

    // THEN
    expect(validateManifests([valid])).toEqual([]);
    expect(errors).toEqual(['ServiceMonitor/forum: /spec/endpoints/0/port must be string']);
  });

  test('accepts a valid Argo CD Application', () => {
    // GIVEN
    const application = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'forum', namespace: 'argocd' },
      spec: {
        project: 'default',
        source: {
          repoURL: 'https://github.com/example/discourse-cdk8s.git',
          targetRevision: 'main',
          path: 'dist',
        },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'discourse' },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
    };

    // WHEN
    const errors = validateManifests([application]);

    // THEN
    expect(errors).toEqual([]);
  });

  test('validates Flux Kustomizations and requires spec.sourceRef', () => {
    // GIVEN
    const valid = fluxKustomization({ sourceRef: { kind: 'GitRepository', name: 'forum' } });
    const missingSourceRef = fluxKustomization({});

    // WHEN
    const validErrors = validateManifests([valid]);
    const invalidErrors = validateManifests([missingSourceRef]);

    // THEN
    expect(validErrors).toEqual([]);
    expect(invalidErrors).toEqual(['Kustomization/forum: /spec must have required property sourceRef']);
  });

  test('reports an unknown apiVersion/kind instead of passing it', () => {
    // GIVEN
    const manifests = [
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
      { apiVersion: 'apps/v1', kind: 'Widget', metadata: { name: 'w' } },
      { apiVersion: 'apps/v1', kind: 'DeploymentSpec', metadata: { name: 'w' } },
    ];

    // WHEN
    const errors = validateManifests(manifests);

    // THEN
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/^Widget\/w: .*unknown apiVersion\/kind example\.com\/v1 Widget/);
    expect(errors[1]).toMatch(/^Widget\/w: .*unknown apiVersion\/kind apps\/v1 Widget/);
    expect(errors[2]).toMatch(/^DeploymentSpec\/w: .*unknown apiVersion\/kind apps\/v1 DeploymentSpec/);
  });

  test('checks kustomization.yaml structurally', () => {
    // GIVEN
    const valid = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace: 'discourse',
      resources: ['deployment.yaml', 'service.yaml'],
    };
    const invalid = { ...valid, resources: ['deployment.yaml', 3], resourcez: [] };

    // WHEN
    const errors = validateManifests([valid, invalid]);

    // THEN
    expect(errors).toEqual(['Kustomization[1]: (root) must NOT have additional property resourcez', 'Kustomization[1]: /resources/1 must be string']);
  });

  test("does not reject unknown fields (documents the schemas' behaviour)", () => {
    // GIVEN
    const manifests = [deployment({ replicaz: 3 })];

    // WHEN
    const errors = validateManifests(manifests);

    // THEN
    // If this starts failing, the upstream schemas became strict: good news,
    // update the comment in test/schema/validate.mjs.
    expect(errors).toEqual([]);
  });
});
