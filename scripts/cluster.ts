import { existsSync } from 'fs';
import { join } from 'path';
import { clientFor, crashed, down, installCrds, readState, up } from '../test/cluster/control-plane';
import { SyncError, syncFolder } from '../test/cluster/sync';
import { ensureTools } from '../test/cluster/tools';
import { clusterCrdFiles } from '../test/cluster/crds';

const USAGE = `usage: npm run cluster -- <command>
  tools          build (or reuse) the real control plane, KWOK, Pebble and promtool from Go modules
  up             start etcd, kube-apiserver, kube-controller-manager, kube-scheduler and KWOK on loopback,
                 with the CRDs the renderings use; prints the kubeconfig
  apply DIR...   server-side apply of each folder's kustomize build, in order, as Flux would (field manager
                 ${'kustomize-controller'}), waiting for Jobs and rollouts; non-zero on any refusal
  down           stop every component and remove its state
  status         say whether it runs`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const log = (l: string) => process.stderr.write(`${l}\n`);
  switch (command) {
    case 'tools':
      for (const r of ensureTools(undefined, log)) process.stdout.write(`${r.name}\t${r.built ? `built in ${r.seconds} s` : 'cached'}\t${r.path}\n`);
      return 0;
    case 'up': {
      const state = await up(log);
      const client = clientFor(state);
      await installCrds(client, clusterCrdFiles());
      process.stdout.write(`KUBECONFIG=${state.kubeconfig}\n`);
      return 0;
    }
    case 'down':
      await down();
      return 0;
    case 'status': {
      const state = readState();
      if (!state) {
        process.stdout.write('not running\n');
        return 1;
      }
      const dead = crashed(state);
      process.stdout.write(dead.length === 0 ? `running: ${state.server} (KUBECONFIG=${state.kubeconfig})\n` : `${dead.join('\n\n')}\n`);
      return dead.length === 0 ? 0 : 1;
    }
    case 'apply': {
      if (rest.length === 0) {
        process.stderr.write(`${USAGE}\n`);
        return 2;
      }
      const state = readState();
      if (!state) {
        process.stderr.write('cluster: not running; start it with `npm run cluster -- up`\n');
        return 1;
      }
      const client = clientFor(state);
      for (const dir of rest) {
        if (!existsSync(join(dir, 'kustomization.yaml'))) {
          process.stderr.write(`cluster: ${dir}: no kustomization.yaml\n`);
          return 1;
        }
        try {
          const { objects, waves } = await syncFolder(client, dir);
          process.stdout.write(`${dir}: ${objects.length} objects applied in ${waves.length} wave(s), settled\n`);
        } catch (e) {
          // A component that died takes a moment to be seen dead after its sockets close.
          let dead = crashed(state);
          for (let i = 0; i < 20 && dead.length === 0; i++) {
            await new Promise((r) => setTimeout(r, 100));
            dead = crashed(state);
          }
          if (dead.length > 0) process.stderr.write(`cluster: a component died during the apply of ${dir}:\n${dead.join('\n\n')}\n`);
          if (e instanceof SyncError || dead.length > 0) {
            process.stderr.write(`cluster: ${dir} was refused or did not settle:\n${(e as Error).message}\n`);
            return 1;
          }
          throw e;
        }
      }
      return 0;
    }
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    process.stderr.write(`cluster: ${e.message}\n`);
    process.exitCode = 1;
  },
);
