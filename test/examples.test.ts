import { readFileSync } from 'fs';
import { join } from 'path';
import { Testing } from 'cdk8s';
import { forumChart } from '../examples/forum';
import { Manifest } from '../lib/manifest';
import { find } from './fixtures';
import { expectValidManifests } from './schema';

describe('the README TypeScript example', () => {
  test('synthesizes valid objects: Crunchy PGO Secret, TLS from cert-manager, monitoring', () => {
    const manifests = Testing.synth(forumChart(Testing.app())) as Manifest[];
    expectValidManifests(manifests);
    expect(find(manifests, 'Deployment', 'forum').spec.template.spec.containers[0].env).toContainEqual({
      name: 'DISCOURSE_DB_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'hippo-pguser-discourse', key: 'password' } },
    });
    expect(find(manifests, 'Ingress', 'forum').metadata.annotations['cert-manager.io/cluster-issuer']).toBe('letsencrypt');
    expect(find(manifests, 'ServiceMonitor', 'forum').metadata.namespace).toBe('forum');
  });

  test('is the code the README shows', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const example = readFileSync(join(__dirname, '..', 'examples', 'forum.ts'), 'utf8');
    const body = example.slice(example.indexOf('  const forum = new Discourse'), example.indexOf('  return chart;'));
    for (const line of body.split('\n').filter((l) => l.trim() !== '')) expect(readme).toContain(line.trim());
  });
});
