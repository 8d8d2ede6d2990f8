import { ChildProcess, spawn, spawnSync } from 'child_process';
import { generateKeyPairSync, randomBytes } from 'crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { KubeClient, KubeError, KubeObject } from './kube-client';
import { ToolName, ensureTools, toolPath } from './tools';

/**
 * A real Kubernetes control plane on loopback: etcd, kube-apiserver (RBAC, Pod Security
 * `restricted` for every namespace but kube-system), kube-controller-manager,
 * kube-scheduler, and KWOK standing in for kubelets on fake nodes. No containers run:
 * KWOK marks scheduled pods Running and Ready and Job pods Succeeded.
 *
 * `up` writes its state (ports, pids, token) to the run folder; `down` stops every
 * process it started and deletes the folder. Nothing listens beyond 127.0.0.1.
 */

const ROOT = join(__dirname, '..', '..');
export const RUN_DIR = process.env.DISCOURSE_CDK8S_CLUSTER_DIR ?? join(ROOT, '.cache', 'cluster');
const STATE = (dir: string) => join(dir, 'state.json');

/** The components, in start order. */
const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;
type Component = (typeof COMPONENTS)[number];
const NEEDED: readonly ToolName[] = [...COMPONENTS, 'kubectl'];

export interface ClusterState {
  readonly dir: string;
  readonly server: string;
  readonly token: string;
  readonly kubeconfig: string;
  readonly pids: Partial<Record<Component, number>>;
  readonly logs: Record<Component, string>;
}

/** Nodes KWOK manages; enough room for every site of the suite at once. */
export const FAKE_NODES = ['kwok-node-0', 'kwok-node-1', 'kwok-node-2'];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function readState(dir = RUN_DIR): ClusterState | undefined {
  return existsSync(STATE(dir)) ? (JSON.parse(readFileSync(STATE(dir), 'utf8')) as ClusterState) : undefined;
}

export function clientFor(state: ClusterState): KubeClient {
  return new KubeClient({ server: state.server, token: state.token, ca: readFileSync(join(state.dir, 'pki', 'apiserver.crt'), 'utf8') });
}

/** Whether the process runs: a zombie (dead, not yet reaped by its new parent) does not. */
export const alive = (pid: number | undefined): boolean => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ...", the state after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

/** The last lines of a component's log, for a failure message. */
export function logTail(state: ClusterState, component: Component, lines = 25): string {
  const file = state.logs[component];
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Every component that has died since `up`, with its log tail: a crash fails the run. */
export function crashed(state: ClusterState): string[] {
  return COMPONENTS.filter((c) => !alive(state.pids[c])).map((c) => `${c} is not running; the end of ${state.logs[c]}:\n${logTail(state, c)}`);
}

/** The stage files KWOK needs (the standalone binary loads none): from the pinned KWOK module. */
function kwokStages(): string[] {
  const r = spawnSync('go', ['mod', 'download', '-json', 'sigs.k8s.io/kwok'], {
    cwd: join(__dirname, 'modules', 'kwok'),
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'local' },
  });
  if (r.status !== 0) throw new Error(`go mod download sigs.k8s.io/kwok failed: ${r.stderr || r.stdout}`);
  const dir = (JSON.parse(r.stdout) as { Dir: string }).Dir;
  const stage = join(dir, 'kustomize', 'stage');
  const files = [
    join(stage, 'node', 'fast', 'node-initialize.yaml'),
    join(stage, 'node', 'heartbeat-with-lease', 'node-heartbeat-with-lease.yaml'),
    join(stage, 'pod', 'fast', 'pod-ready.yaml'),
    join(stage, 'pod', 'fast', 'pod-complete.yaml'),
    join(stage, 'pod', 'fast', 'pod-delete.yaml'),
  ];
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    const found = existsSync(stage) ? readdirSync(stage, { recursive: true }).join(', ') : '(none)';
    throw new Error(`KWOK stage files missing in ${dir}: ${missing.join(', ')}; found: ${found}`);
  }
  return files;
}

function start(state: { dir: string; logs: Record<Component, string> }, component: Component, args: string[]): ChildProcess {
  const out = openSync(state.logs[component], 'a');
  const child = spawn(toolPath(component), args, { stdio: ['ignore', out, out], detached: true });
  closeSync(out);
  child.unref();
  return child;
}

async function waitFor(what: string, state: ClusterState, check: () => Promise<boolean>, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const dead = crashed(state).filter((c) => state.pids[c.split(' ')[0] as Component] !== undefined);
    if (dead.length > 0) throw new Error(`while waiting for ${what}:\n${dead.join('\n\n')}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s`);
    await sleep(250);
  }
}

const PSA_CONFIG = `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: PodSecurity
    configuration:
      apiVersion: pod-security.admission.config.k8s.io/v1
      kind: PodSecurityConfiguration
      defaults:
        enforce: restricted
        enforce-version: latest
        audit: restricted
        warn: restricted
      exemptions:
        namespaces: [kube-system, kube-node-lease, kube-public]
`;

/** Starts the control plane (building what is missing), or reuses a running one. */
export async function up(log: (line: string) => void = () => undefined, dir = RUN_DIR): Promise<ClusterState> {
  const running = readState(dir);
  if (running && crashed(running).length === 0) return running;
  if (running) await down(dir);
  ensureTools(NEEDED, log);
  const stages = kwokStages();

  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'pki'), { recursive: true });
  const [etcdClient, etcdPeer, apiPort, kcmPort, schedPort, kwokPort] = await Promise.all([1, 2, 3, 4, 5, 6].map(freePort));
  const token = randomBytes(24).toString('hex');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const saKey = join(dir, 'pki', 'sa.key');
  const saPub = join(dir, 'pki', 'sa.pub');
  writeFileSync(saKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(saPub, publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'tokens.csv'), `${token},admin,admin-uid,system:masters\n`);
  writeFileSync(join(dir, 'admission.yaml'), PSA_CONFIG);
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: local\n  cluster:\n    server: ${server}\n    certificate-authority: ${join(dir, 'pki', 'apiserver.crt')}`,
      'users:',
      `- name: admin\n  user:\n    token: ${token}`,
      'contexts:',
      '- name: local\n  context:\n    cluster: local\n    user: admin',
      'current-context: local',
      '',
    ].join('\n'),
  );
  const logs = Object.fromEntries(COMPONENTS.map((c) => [c, join(dir, `${c}.log`)])) as Record<Component, string>;
  const pids: Partial<Record<Component, number>> = {};
  const state: ClusterState = { dir, server, token, kubeconfig, pids, logs };
  const save = () => writeFileSync(STATE(dir), JSON.stringify(state, null, 2));

  const launch = (c: Component, args: string[]) => {
    pids[c] = start(state, c, args).pid;
    save();
  };
  launch('etcd', [
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
    '--unsafe-no-fsync',
  ]);
  launch('kube-apiserver', [
    `--etcd-servers=http://127.0.0.1:${etcdClient}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--cert-dir=${join(dir, 'pki')}`,
    `--token-auth-file=${join(dir, 'tokens.csv')}`,
    '--authorization-mode=Node,RBAC',
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${saPub}`,
    `--service-account-signing-key-file=${saKey}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    '--endpoint-reconciler-type=none',
    `--admission-control-config-file=${join(dir, 'admission.yaml')}`,
  ]);
  // The server writes its self-signed serving certificate into --cert-dir as it starts.
  await waitFor('the API server to write its certificate', state, async () => existsSync(join(dir, 'pki', 'apiserver.crt')), 60);
  const client = clientFor(state);
  await waitFor('the API server to answer /readyz', state, async () => (await client.call<string>('GET', '/readyz').then(() => true)) === true, 90);
  const common = [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--bind-address=127.0.0.1'];
  launch('kube-controller-manager', [
    ...common,
    `--secure-port=${kcmPort}`,
    `--service-account-private-key-file=${saKey}`,
    `--root-ca-file=${join(dir, 'pki', 'apiserver.crt')}`,
    '--use-service-account-credentials=false',
    '--controllers=*,-node-ipam-controller',
  ]);
  launch('kube-scheduler', [...common, `--secure-port=${schedPort}`]);
  launch('kwok', [
    `--kubeconfig=${kubeconfig}`,
    '--manage-all-nodes=false',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    `--server-address=127.0.0.1:${kwokPort}`,
    // Heartbeats by Lease, as kubelets send them: without one the node lifecycle controller marks the nodes NotReady.
    '--node-lease-duration-seconds=40',
    ...stages.map((s) => `--config=${s}`),
  ]);
  for (const name of FAKE_NODES) await client.create(fakeNode(name));
  // A default class that allows expansion, as a cloud's default does: claims get it by
  // admission, and growing one is then allowed (without it the server refuses any resize).
  await client.create({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'kwok.x-k8s.io/hostpath',
    allowVolumeExpansion: true,
    volumeBindingMode: 'Immediate',
  } as KubeObject);
  await waitFor(
    'the fake nodes to be Ready',
    state,
    async () => {
      const nodes = await client.list('v1', 'Node');
      return nodes.filter((n) => ready(n)).length === FAKE_NODES.length;
    },
    60,
  );
  await waitFor('the default ServiceAccount', state, async () => (await client.get('v1', 'ServiceAccount', 'default', 'default')) !== undefined, 60);
  log(`cluster up: ${server} (kubeconfig ${kubeconfig})`);
  return state;
}

function ready(o: KubeObject): boolean {
  const conditions = ((o.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []) as { type: string; status: string }[];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

function fakeNode(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
    },
    status: { allocatable: { cpu: '64', memory: '256Gi', pods: '250' }, capacity: { cpu: '64', memory: '256Gi', pods: '250' } },
  };
}

/** Stops every component (TERM, then KILL after 10 s) and removes the run folder. */
export async function down(dir = RUN_DIR): Promise<void> {
  const state = readState(dir);
  if (state) {
    const pids = [...COMPONENTS].reverse().map((c) => state.pids[c]);
    for (const pid of pids) if (alive(pid)) process.kill(-(pid as number), 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (pids.some(alive) && Date.now() < deadline) await sleep(100);
    for (const pid of pids) if (alive(pid)) process.kill(-(pid as number), 'SIGKILL');
    while (pids.some(alive)) await sleep(50);
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Installs CRDs (server-side: the largest exceed client-side apply's annotation limit) and waits until they are served. */
export async function installCrds(client: KubeClient, files: readonly string[]): Promise<void> {
  const crds = files.flatMap((f) =>
    parseAllDocuments(readFileSync(f, 'utf8'))
      .map((d) => d.toJS() as KubeObject | null)
      .filter((d): d is KubeObject => d?.kind === 'CustomResourceDefinition'),
  );
  for (const crd of crds) await client.apply(crd, 'discourse-cdk8s-tests');
  for (const crd of crds) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const got = await client.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd.metadata.name);
      const conditions = ((got?.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []) as { type: string; status: string }[];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new KubeError(0, 'Timeout', `CRD ${crd.metadata.name} not Established within 60 s`);
      await sleep(200);
    }
  }
  client.resetDiscovery();
}
