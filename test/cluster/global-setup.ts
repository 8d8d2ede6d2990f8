import { spawnSync } from 'child_process';
import { installCrds, up } from './control-plane';
import { clientFor } from './control-plane';
import { clusterCrdFiles } from './crds';
import { IN_CI, TOOL_NAMES, haveTool } from './tools';

/** Starts the real control plane once for the cluster suite (test/cluster/), with every CRD. */
export default async function globalSetup(): Promise<void> {
  const haveGo = spawnSync('go', ['version']).status === 0;
  if (!haveGo && !IN_CI && !TOOL_NAMES.every(haveTool)) {
    process.env.DISCOURSE_CDK8S_CLUSTER_SKIP = 'no Go toolchain to build the control plane (CI builds it and never skips)';
    process.stderr.write(`cluster suite: SKIPPED: ${process.env.DISCOURSE_CDK8S_CLUSTER_SKIP}\n`);
    return;
  }
  const started = Date.now();
  const state = await up((l) => process.stderr.write(`${l}\n`));
  const client = clientFor(state);
  await installCrds(client, clusterCrdFiles());
  process.stderr.write(`cluster suite: control plane up with ${clusterCrdFiles().length} CRD files in ${Math.round((Date.now() - started) / 1000)} s\n`);
}
