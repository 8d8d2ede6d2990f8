import { spawn, spawnSync } from 'child_process';
import { ClusterState } from './control-plane';
import { toolPath } from './tools';

/** kubectl as the checklist tells users to run it: the commands it prints, run as printed. */

const SITE_FOLDER = /^dist\/[a-z0-9-]+$/;

/** The later-sync commands the checklist prints, each as argv (without `kubectl`), for the folder at `dir`. */
export function checklistSyncCommands(checklist: string, dir: string): string[][] {
  const block = /every later time[^\n]*\n\n```sh\n([\s\S]*?)\n```/.exec(checklist);
  if (!block) throw new Error(`the site's README.md prints no later-sync kubectl command:\n${checklist.slice(-1500)}`);
  return block[1]
    .replace(/ \\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map((argv) => {
      if (argv[0] !== 'kubectl') throw new Error(`not a kubectl command: ${argv.join(' ')}`);
      return argv.slice(1).map((a) => (SITE_FOLDER.test(a) ? dir : a));
    });
}

/** Runs the built kubectl against the cluster; throws with its stderr on failure. */
export function kubectl(state: ClusterState, args: readonly string[]): void {
  const r = spawnSync(toolPath('kubectl'), [`--kubeconfig=${state.kubeconfig}`, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr.trim()}`);
}

/** The same, without blocking the event loop (so that a watcher in this process keeps polling meanwhile). */
export function kubectlAsync(state: ClusterState, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(toolPath('kubectl'), [`--kubeconfig=${state.kubeconfig}`, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kubectl ${args.join(' ')} failed (exit ${code}):\n${stderr.trim()}`))));
  });
}
