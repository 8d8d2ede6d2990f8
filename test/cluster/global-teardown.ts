import { crashed, down, readState } from './control-plane';

/** Stops the control plane; a component that died during the suite fails the run with its log tail. */
export default async function globalTeardown(): Promise<void> {
  const state = readState();
  if (!state || process.env.DISCOURSE_CDK8S_KEEP_CLUSTER) return;
  const dead = crashed(state);
  await down();
  if (dead.length > 0) throw new Error(`a control-plane component crashed during the cluster suite:\n${dead.join('\n\n')}`);
}
