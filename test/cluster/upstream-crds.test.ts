import { spawnSync } from 'child_process';
import { readdirSync } from 'fs';
import { join } from 'path';
import { describeCluster } from './cluster-env';
import { clusterCrdFiles } from './crds';

/**
 * The CRDs the control plane gets are upstream's release files, unmodified: regenerated
 * from the pinned projects' Go modules by scripts/upstream-crds.sh, and byte-compared.
 */

const ROOT = join(__dirname, '..', '..');

describeCluster('the CRDs in test/cluster/crds/', () => {
  test('are what scripts/upstream-crds.sh --check regenerates from the pinned Go modules, byte for byte', () => {
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'upstream-crds.sh'), '--check'], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
    expect({ status: r.status, output: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, output: 'test/cluster/crds/ is up to date' });
  });

  test('are the ones the control plane installs: one for every cut-down CRD in crds/', () => {
    const upstream = clusterCrdFiles().map((f) => f.split('/').pop());
    expect(upstream).toEqual(expect.arrayContaining(readdirSync(join(ROOT, 'crds')).filter((f) => f.endsWith('.yaml'))));
  });
});
