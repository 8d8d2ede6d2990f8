import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Testing } from 'cdk8s';
import { forumChart } from '../examples/forum';
import { SITES } from '../examples/sites';
import { readTree } from '../app/output';
import { synthesizeSites } from '../app/typescript-sites';
import { Manifest } from '../lib/core/manifest';
import { find } from './fixtures';
import { expectValidManifests } from './schema';

describe('the TypeScript example (docs/typescript.md, and the README’s excerpt of it)', () => {
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

  const example = readFileSync(join(__dirname, '..', 'examples', 'forum.ts'), 'utf8');

  test('is the code docs/typescript.md shows', () => {
    const page = readFileSync(join(__dirname, '..', 'docs', 'typescript.md'), 'utf8');
    const body = example.slice(example.indexOf('  const forum = new Discourse'), example.indexOf('  return chart;'));
    const missing = body.split('\n').filter((l) => l.trim() !== '' && !page.includes(l.trim()));
    expect(missing).toEqual([]);
  });

  test("the README's excerpt is lines of it (the constructs as the example calls them)", () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const excerpt = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const lines = excerpt.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(1);
    // The first line abbreviates the props; the constructs after it are verbatim.
    expect(lines[0]).toMatch(/^const forum = new Discourse\(chart, 'forum', \{/);
    expect(lines.slice(1).filter((l) => !example.includes(l.trim()))).toEqual([]);
  });
});

describe('TypeScript sites through the site pipeline (examples/sites.ts)', () => {
  test('get the per-site folder, kustomization, checklist and GitOps objects, and --check', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ts-sites-')), 'dist');
    const written = synthesizeSites(SITES, { outdir: out });
    expect(written.exitCode).toBe(0);
    const files = [...readTree(out).keys()];
    expect(files).toEqual(
      expect.arrayContaining(['forum/deployment-forum.yaml', 'forum/kustomization.yaml', 'forum/README.md', 'gitops/argocd/application-forum.yaml']),
    );
    expect(written.messages[1]).toMatch(/^forum: \d+ Secrets? to create/);
    expect(synthesizeSites(SITES, { outdir: out, check: true })).toEqual({ exitCode: 0, messages: [`${out}/ is up to date (${files.length} files).`] });
  });

  test('fails in the TypeScript API’s words, for every site at once, and leaves dist/ as it was', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ts-sites-')), 'dist');
    const bad = [
      { ...SITES[0], discourse: { ...SITES[0].discourse, smtpPort: 70000 } },
      { ...SITES[0], name: 'blog', discourse: { ...SITES[0].discourse, throttleLevel: 'extreme' as never } },
    ];
    const result = synthesizeSites(bad, { outdir: out });
    expect(result.exitCode).toBe(1);
    expect(result.messages.join('\n')).toMatch(/TypeScript site forum: smtpPort: 70000 is not a TCP port/);
    expect(result.messages.join('\n')).toMatch(/TypeScript site blog: throttleLevel: "extreme" is not one of/);
    expect(readTree(out).size).toBe(0);
  });
});
