import { ClusterState, readState } from './control-plane';
import { KubeClient } from './kube-client';
import { clientFor } from './control-plane';

/**
 * What a cluster test file needs: the control plane that test/cluster/global-setup.ts
 * started, or the one line that says why there is none (only outside CI).
 */
export const SKIP_REASON = process.env.DISCOURSE_CDK8S_CLUSTER_SKIP;

export const describeCluster = SKIP_REASON ? describe.skip : describe;

export function cluster(): { state: ClusterState; client: KubeClient } {
  const state = readState();
  if (!state) throw new Error('no control plane: test/cluster/global-setup.ts did not start one (run the cluster suite through jest.cluster.config.js)');
  return { state, client: clientFor(state) };
}
