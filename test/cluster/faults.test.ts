import { ChildProcess, spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { readTree, writeTreeAtomically } from '../../app/output';
import { fixtureTree } from '../fixtures';
import { describeCluster } from './cluster-env';
import { ClusterState, alive, clientFor, readState } from './control-plane';

/**
 * `npm run cluster` when the control plane fails under it: a control plane of its own (the
 * suite's is not touched), an `apply` of a fixture site, and the API server killed while
 * the apply waits on the site's Jobs. The apply must say which component died, with its
 * log, and exit non-zero; `down` must leave no process behind; dist/ is never written.
 */

const ROOT = join(__dirname, '..', '..');
const CLI = ['-r', './scripts/swc-register.js', 'scripts/cluster.ts'];

const digest = (dir: string) => {
  const h = createHash('sha256');
  for (const [p, text] of [...readTree(dir)].sort(([a], [b]) => a.localeCompare(b))) h.update(`${p}\0${text}\0`);
  return h.digest('hex');
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeCluster('npm run cluster, when the API server dies during an apply', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'cluster-fault-'));
  const env = { ...process.env, DISCOURSE_CDK8S_CLUSTER_DIR: runDir };
  let state: ClusterState | undefined;

  afterAll(() => {
    spawnSync(process.execPath, [...CLI, 'down'], { cwd: ROOT, env, encoding: 'utf8' });
    rmSync(runDir, { recursive: true, force: true });
  });

  test('reports the dead component with its log, exits 1, and `down` leaves no process; dist/ is untouched', async () => {
    // GIVEN a control plane of its own, and the example site
    const distBefore = digest(join(ROOT, 'dist'));
    const upRun = spawnSync(process.execPath, [...CLI, 'up'], { cwd: ROOT, env, encoding: 'utf8', timeout: 180_000 });
    expect({ status: upRun.status, stderr: upRun.status === 0 ? '' : upRun.stderr }).toEqual({ status: 0, stderr: '' });
    state = readState(runDir);
    expect(state?.pids['kube-apiserver']).toBeDefined();
    const site = join(mkdtempSync(join(tmpdir(), 'cluster-fault-site-')), 'dist');
    writeTreeAtomically(site, new Map([...fixtureTree()].filter(([p]) => p.startsWith('example/'))));
    const client = clientFor(state as ClusterState);

    // WHEN the apply is under way (the Namespace exists) and the API server is killed
    const apply: ChildProcess = spawn(process.execPath, [...CLI, 'apply', join(site, 'example')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    apply.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => apply.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!(await client.get('v1', 'Namespace', 'discourse').catch(() => undefined)) && Date.now() < deadline) await sleep(50);
    expect(await client.get('v1', 'Namespace', 'discourse')).toBeDefined();
    process.kill(state!.pids['kube-apiserver'] as number, 'SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<string>((r) => (timer = setTimeout(() => r('still running after 120 s'), 120_000)))]);
    clearTimeout(timer);
    if (code !== 1) apply.kill('SIGKILL');

    // THEN
    expect({ code, stderr: code === 1 ? '' : stderr }).toEqual({ code: 1, stderr: '' });
    expect(stderr).toContain('a component died during the apply of');
    expect(stderr).toMatch(/kube-apiserver is not running; the end of \S+kube-apiserver\.log:/);
    const downRun = spawnSync(process.execPath, [...CLI, 'down'], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
    expect(downRun.status).toBe(0);
    expect(Object.entries(state!.pids).filter(([, pid]) => alive(pid))).toEqual([]);
    expect(digest(join(ROOT, 'dist'))).toBe(distBefore);
  }, 300_000);
});
