import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { diffTrees, readTree, writeTreeAtomically } from '../app/output';
import { renderSites, synthesize } from '../app/synth';
import { FIXTURE_SITES, fixtureTree } from './fixtures';
import { expectValidManifests } from './schema';

/** A scratch repository: the example fixture as sites/ and its rendering as dist/; tests never touch the project's own. */
function scratch(): { dir: string; sites: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'discourse-cdk8s-'));
  cpSync(join(FIXTURE_SITES, 'example.yaml'), join(dir, 'sites', 'example.yaml'), { recursive: true });
  const { tree } = renderSites(join(dir, 'sites'));
  writeTreeAtomically(join(dir, 'dist'), tree!);
  return { dir, sites: join(dir, 'sites'), out: join(dir, 'dist') };
}

describe('the fixture sites (the example and every feature at once)', () => {
  const tree = fixtureTree();

  test('every rendered object validates against its schema', () => {
    const manifests = [...tree.entries()]
      .filter(([p]) => p.endsWith('.yaml') && !p.endsWith('kustomization.yaml'))
      .flatMap(([, text]) => parseAllDocuments(text).map((d) => d.toJS()));
    expect(manifests.length).toBeGreaterThan(5);
    expectValidManifests(manifests);
  });

  test('the kustomization lists every file of the folder, with the namespace', () => {
    const files = [...tree.keys()]
      .filter((p) => p.startsWith('example/') && p.endsWith('.yaml') && !p.endsWith('kustomization.yaml'))
      .map((p) => p.slice('example/'.length));
    const k = parse(tree.get('example/kustomization.yaml')!);
    expect(k.resources).toEqual(files.sort());
    expect(k.namespace).toBe('discourse');
    expectValidManifests([k]);
  });

  test('no secret value and no Secret object is in the output', () => {
    for (const [path, text] of tree) {
      expect(text).not.toMatch(/^kind: Secret$/m);
      expect(`${path}: ${text}`).not.toMatch(/password: [^{]/i);
    }
  });

  test('snapshot of the whole folder', () => {
    expect(Object.fromEntries(tree)).toMatchSnapshot();
  });
});

describe('synthesize', () => {
  test('output is byte-identical across runs', () => {
    const a = renderSites(FIXTURE_SITES).tree!;
    const b = renderSites(FIXTURE_SITES).tree!;
    expect([...a.entries()]).toEqual([...b.entries()]);
  });

  test('fails if a site is invalid, and leaves dist/ byte-identical', () => {
    // GIVEN
    const s = scratch();
    const before = readTree(s.out);
    writeFileSync(
      join(s.sites, 'broken.yaml'),
      'config:\n  throttle_level: extreme\n  smtp_adress: x\ndatabase:\n  cloudnativepg: { cluster: db }\nredis:\n  host: redis\n',
    );
    // WHEN
    const result = synthesize({ sitesDir: s.sites, outdir: s.out });
    // THEN
    expect(result.exitCode).toBe(1);
    expect(result.messages.join('\n')).toMatch(/broken\.yaml:2:3: config\.throttle_level: "extreme" is not one of none, permissive, strict/);
    expect(result.messages.join('\n')).toMatch(/did you mean "smtp_address"/);
    expect(diffTrees(before, readTree(s.out))).toEqual([]);
    rmSync(s.dir, { recursive: true });
  });

  test('writes a new site and removes a deleted one', () => {
    // GIVEN
    const s = scratch();
    const first = readTree(s.out);
    const example = readFileSync(join(s.sites, 'example.yaml'), 'utf8');
    writeFileSync(
      join(s.sites, 'second.yaml'),
      example.replace('namespace: discourse', 'namespace: second').replace('discourse.example.com', 'second.example.com'),
    );
    // WHEN
    expect(synthesize({ sitesDir: s.sites, outdir: s.out }).exitCode).toBe(0);
    // THEN
    expect(readTree(s.out).has('second/deployment-second.yaml')).toBe(true);
    rmSync(join(s.sites, 'second.yaml'));
    expect(synthesize({ sitesDir: s.sites, outdir: s.out }).exitCode).toBe(0);
    expect([...readTree(s.out).keys()].filter((p) => p.startsWith('second/'))).toEqual([]);
    expect(diffTrees(first, readTree(s.out))).toEqual([]);
    rmSync(s.dir, { recursive: true });
  });

  test('says which files it removed that it did not write (dist/ is generated; own manifests go in overlays/)', () => {
    // GIVEN
    const s = scratch();
    writeFileSync(
      join(s.out, 'example', 'my-secret.yaml'),
      'apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: { name: smtp, namespace: discourse }\n',
    );
    writeFileSync(join(s.out, 'example', 'notes.txt'), 'no metadata here\n');
    // WHEN
    const result = synthesize({ sitesDir: s.sites, outdir: s.out });
    // THEN
    expect(result.exitCode).toBe(0);
    expect(result.messages.slice(1, 4)).toEqual([
      `removed 2 files synth does not write (${s.out}/ is generated; keep your own manifests in overlays/<site>/, see docs/getting-started.md#your-own-repository):`,
      `  ${s.out}/example/my-secret.yaml`,
      `  ${s.out}/example/notes.txt`,
    ]);
    // The second run removes nothing: only the per-site checklist line follows.
    expect(synthesize({ sitesDir: s.sites, outdir: s.out }).messages.filter((m) => m.startsWith('removed'))).toEqual([]);
    rmSync(s.dir, { recursive: true });
  });

  test('a site removed (its file renamed) is named as removed in the change summary, and its checklist is not reported as someone else’s file', () => {
    // GIVEN the example site's file renamed: the old folder goes, a new one comes
    const s = scratch();
    cpSync(join(s.sites, 'example.yaml'), join(s.sites, 'example2.yaml'));
    rmSync(join(s.sites, 'example.yaml'));
    // WHEN
    const result = synthesize({ sitesDir: s.sites, outdir: s.out });
    // THEN
    expect(result.exitCode).toBe(0);
    expect(result.messages.filter((m) => m.startsWith('removed'))).toEqual([]);
    expect(result.messages).toContain('example (removed):');
    expect(result.messages).toContain('example2 (added):');
    expect(result.messages.find((m) => m.includes('kept in the cluster, with their data'))).toMatch(/PersistentVolumeClaim\/example-uploads/);
    rmSync(s.dir, { recursive: true });
  });

  test('--check fails on a stale dist/ and passes on a fresh one', () => {
    const s = scratch();
    expect(synthesize({ sitesDir: s.sites, outdir: s.out, check: true }).exitCode).toBe(0);
    writeFileSync(join(s.out, 'example', 'service-example.yaml'), 'stale\n');
    writeFileSync(join(s.out, 'example', 'leftover.yaml'), 'x\n');
    const result = synthesize({ sitesDir: s.sites, outdir: s.out, check: true });
    expect(result.exitCode).toBe(1);
    expect(result.messages).toEqual(expect.arrayContaining(['  stale:   example/service-example.yaml', '  extra:   example/leftover.yaml']));
    rmSync(s.dir, { recursive: true });
  });

  test('fails if a change cannot be applied over the dist/ in Git (shrinking the uploads volume), and leaves dist/ byte-identical', () => {
    // GIVEN the committed example, whose uploads volume is 20Gi
    const s = scratch();
    const file = join(s.sites, 'example.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('size: 20Gi', 'size: 10Gi'));
    const before = readTree(s.out);
    // WHEN
    const result = synthesize({ sitesDir: s.sites, outdir: s.out });
    // THEN one line names the file, the object, the field, the change and why; under it what
    // the claim holds, the safe way first, and steps in which every delete says what it deletes
    expect(result.exitCode).toBe(1);
    const refusal = result.messages.indexOf(
      '  ' +
        `${s.out}/example/persistentvolumeclaim-example-uploads.yaml: PersistentVolumeClaim/discourse/example-uploads: ` +
        'spec.resources.requests.storage: "20Gi" → "10Gi" (a claim can grow, never shrink)',
    );
    expect(refusal).toBeGreaterThan(0);
    expect(result.messages.slice(refusal + 1)).toEqual([
      "    This claim holds the forum's uploads (every file its users attached); deleting it deletes them.",
      '    Safe: keep uploads.size at 20Gi or more: a claim grows in place, so raise it whenever you need room, never lower it.',
      '    For a smaller volume the data must move to a new claim first:',
      '      1. pause the GitOps sync of example and stop its pods: kubectl -n discourse scale deployment -l app.kubernetes.io/instance=example --replicas=0 (stops the forum; deletes nothing)',
      '      2. create a claim example-uploads-copy big enough for the files, copy them into it with a pod that mounts both (cp -a /old/. /new/), and check the copy',
      '      3. only then: kubectl -n discourse delete pvc example-uploads (this deletes the uploads on it: the copy from step 2 is what keeps them)',
      '      4. npm run synth -- --allow-replace, commit and sync: example-uploads comes back with the new settings, empty',
      '      5. copy the files back from example-uploads-copy the same way, start the forum (sync), and once it shows them: kubectl -n discourse delete pvc example-uploads-copy (this deletes the copy)',
      'Fix: change the site back (the safe way: nothing in the cluster changes), or first do what the lines under each object say; --allow-replace then writes the new rendering (it changes nothing in the cluster by itself).',
      `synth failed; ${s.out}/ was not changed.`,
    ]);
    expect(result.messages.join('\n')).not.toMatch(/delete those objects/);
    expect(diffTrees(before, readTree(s.out))).toEqual([]);
    // --allow-replace writes it anyway; growing needs no flag.
    expect(synthesize({ sitesDir: s.sites, outdir: s.out, allowReplace: true }).exitCode).toBe(0);
    expect(readTree(s.out).get('example/persistentvolumeclaim-example-uploads.yaml')).toContain('storage: 10Gi');
    writeFileSync(file, readFileSync(file, 'utf8').replace('size: 10Gi', 'size: 30Gi'));
    expect(synthesize({ sitesDir: s.sites, outdir: s.out }).exitCode).toBe(0);
    rmSync(s.dir, { recursive: true });
  });

  test('an ordinary change (throttle level, image tag) writes, because Jobs get new names instead of changed specs', () => {
    const s = scratch();
    const file = join(s.sites, 'example.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('throttle_level: permissive', 'throttle_level: strict').replace('tag: "1.0"', 'tag: "1.1"'));
    const result = synthesize({ sitesDir: s.sites, outdir: s.out });
    expect(result.messages[0]).toMatch(/^wrote \d+ files/);
    // One line per site points at its checklist.
    expect(result.messages[1]).toMatch(/^example: \d+ Secrets to create, \d+ required and \d+ optional cluster prerequisites: see /);
    expect(result.messages[1]).toMatch(new RegExp(`see ${s.out}/example/README\\.md$`));
    expect(result.exitCode).toBe(0);
    rmSync(s.dir, { recursive: true });
  });

  test('two site files with the same name fail', () => {
    const s = scratch();
    writeFileSync(join(s.sites, 'copy.yaml'), `name: example\n${readFileSync(join(s.sites, 'example.yaml'), 'utf8')}`);
    const result = synthesize({ sitesDir: s.sites, outdir: s.out });
    expect(result.exitCode).toBe(1);
    expect(result.messages.join('\n')).toMatch(/name: "example" is also the name of/);
    rmSync(s.dir, { recursive: true });
  });
});
