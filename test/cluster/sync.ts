import { spawnSync } from 'child_process';
import { readFileSync, readdirSync } from 'fs';
import { join, relative } from 'path';
import { parseAllDocuments } from 'yaml';
import { KubeClient, KubeError, KubeObject } from './kube-client';
import { toolPath } from './tools';

/**
 * What a GitOps sync does with a folder of dist/, against the real API server:
 * `kustomize build`, then server-side apply under the field manager Flux's
 * kustomize-controller uses, wave by wave (Argo CD's `sync-wave` annotation; one wave
 * when there is none), each wave dry-run first, then for real, then waited on as the
 * tools wait: Jobs Complete, Deployments and StatefulSets rolled out and Available.
 */

export const FIELD_MANAGER = 'kustomize-controller';

const WAVE = 'argocd.argoproj.io/sync-wave';

export interface Refusal {
  readonly file: string;
  readonly object: string;
  readonly message: string;
}

export class SyncError extends Error {
  constructor(readonly refusals: readonly Refusal[]) {
    super(refusals.map((r) => `${r.file}: ${r.object}: ${r.message}`).join('\n'));
  }
}

export const objectKey = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** `kustomize build` of a folder by the kubectl built with the control plane. */
export function kustomizeBuild(dir: string): KubeObject[] {
  const r = spawnSync(toolPath('kubectl'), ['kustomize', dir], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new SyncError([{ file: dir, object: 'kustomization.yaml', message: `kustomize build failed: ${r.stderr.trim()}` }]);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((d): d is KubeObject => d !== null);
}

/** Which file of the folder each object came from (one object per file in dist/). */
function sourceFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    if (!f.endsWith('.yaml') || f.endsWith('kustomization.yaml')) continue;
    const path = join(dir, f);
    for (const d of parseAllDocuments(readFileSync(path, 'utf8'))) {
      const o = d.toJS() as KubeObject | null;
      if (o?.kind && o.metadata?.name) files.set(`${o.kind}/${o.metadata.name}`, relative(process.cwd(), path));
    }
  }
  return files;
}

const wave = (o: KubeObject): number => Number(o.metadata.annotations?.[WAVE] ?? 0);

/** Cluster-scoped definitions first, as Flux and Argo CD order them. */
const FIRST = ['CustomResourceDefinition', 'Namespace'];

export interface SyncOptions {
  /** Wait for workloads and Jobs after each wave. @default true */
  readonly wait?: boolean;
  /** Seconds each wave may take to settle. @default 120 */
  readonly timeoutSeconds?: number;
}

export interface SyncResult {
  readonly objects: readonly KubeObject[];
  readonly waves: readonly number[];
}

/** Applies a folder as a sync would; throws a SyncError naming file, object and the server's message. */
export async function syncFolder(client: KubeClient, dir: string, options: SyncOptions = {}): Promise<SyncResult> {
  const objects = kustomizeBuild(dir);
  const files = sourceFiles(dir);
  const fileOf = (o: KubeObject) => files.get(`${o.kind}/${o.metadata.name}`) ?? `${dir} (kustomize output)`;
  // Namespaces and CRDs go first, whatever their wave: Flux applies them in a pass of
  // their own, and Argo CD's CreateNamespace=true (our Application sets it) makes the
  // namespace before wave one.
  const first = objects.filter((o) => FIRST.includes(o.kind));
  const rest = objects.filter((o) => !FIRST.includes(o.kind));
  const waves = [...new Set(rest.map(wave))].sort((a, b) => a - b);
  await applyAll(client, first, fileOf);
  for (const w of waves) {
    const inWave = rest.filter((o) => wave(o) === w);
    await applyAll(client, inWave, fileOf);
    if (options.wait ?? true) await settle(client, inWave, options.timeoutSeconds ?? 120, fileOf);
  }
  return { objects, waves };
}

/** Dry-run every object, then apply every object: a refusal of any leaves the wave unapplied. */
async function applyAll(client: KubeClient, objects: readonly KubeObject[], fileOf: (o: KubeObject) => string): Promise<void> {
  for (const dryRun of [true, false]) {
    const refusals: Refusal[] = [];
    for (const o of objects) {
      try {
        await client.apply(o, FIELD_MANAGER, dryRun);
      } catch (e) {
        if (!(e instanceof KubeError)) throw e;
        refusals.push({ file: fileOf(o), object: objectKey(o), message: `${dryRun ? '(dry-run) ' : ''}${e.message}` });
      }
    }
    if (refusals.length > 0) throw new SyncError(refusals);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}
const conditions = (o: KubeObject): Condition[] => ((o.status as { conditions?: Condition[] } | undefined)?.conditions ?? []) as Condition[];
const has = (o: KubeObject, type: string) => conditions(o).some((c) => c.type === type && c.status === 'True');

/** Why an applied object is not settled yet, or undefined when it is (what `kstatus`, which Flux uses, would say). */
export function notSettled(o: KubeObject): string | undefined {
  const spec = (o.spec ?? {}) as { replicas?: number };
  const status = (o.status ?? {}) as Record<string, number | undefined>;
  const generation = o.metadata.generation ?? 0;
  if (o.kind === 'Job') {
    if (has(o, 'Failed')) return `failed: ${conditions(o).find((c) => c.type === 'Failed')?.message ?? ''}`;
    return has(o, 'Complete') ? undefined : 'not Complete';
  }
  if (o.kind === 'Deployment' || o.kind === 'StatefulSet') {
    const want = spec.replicas ?? 1;
    if ((status.observedGeneration ?? 0) < generation) return 'generation not observed';
    if ((status.updatedReplicas ?? 0) < want) return `${status.updatedReplicas ?? 0}/${want} replicas updated`;
    if ((status.readyReplicas ?? 0) < want) return `${status.readyReplicas ?? 0}/${want} replicas ready`;
    if ((status.replicas ?? 0) > want) return `${status.replicas} replicas, old ones still terminating`;
    if (o.kind === 'Deployment' && !has(o, 'Available')) return 'not Available';
    return undefined;
  }
  if (o.kind === 'PersistentVolumeClaim') return (o.status as { phase?: string } | undefined)?.phase === 'Bound' ? undefined : 'not Bound';
  return undefined;
}

/**
 * No storage provisioner runs: a Pending claim gets a hostPath volume bound to it ahead
 * (the PV controller then binds the claim), as a dynamic provisioner would, marked as its
 * provisioner's so that the claim may grow.
 */
async function provisionVolumes(client: KubeClient): Promise<void> {
  for (const pvc of await client.list('v1', 'PersistentVolumeClaim')) {
    if ((pvc.status as { phase?: string } | undefined)?.phase !== 'Pending') continue;
    const spec = pvc.spec as { resources?: { requests?: { storage?: string } }; accessModes?: string[]; storageClassName?: string };
    const name = `pv-${pvc.metadata.uid}`;
    if (await client.get('v1', 'PersistentVolume', name)) continue;
    // Two syncs running side by side may both see the claim Pending: the first one's volume serves.
    await client
      .create({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name },
        spec: {
          capacity: { storage: spec.resources?.requests?.storage ?? '1Gi' },
          accessModes: spec.accessModes ?? ['ReadWriteOnce'],
          ...(spec.storageClassName ? { storageClassName: spec.storageClassName } : {}),
          persistentVolumeReclaimPolicy: 'Delete',
          hostPath: { path: `/tmp/${name}` },
          claimRef: { namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid },
        },
      })
      .catch((e: unknown) => {
        if (!(e instanceof KubeError && e.status === 409)) throw e;
      });
  }
}

export const namespacesOf = (objects: readonly KubeObject[]): string[] => [
  ...new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => n !== undefined)),
];

const SETTLED_KINDS = ['Job', 'Deployment', 'StatefulSet', 'PersistentVolumeClaim'];

export async function settle(client: KubeClient, objects: readonly KubeObject[], seconds: number, fileOf: (o: KubeObject) => string): Promise<void> {
  const watched = objects.filter((o) => SETTLED_KINDS.includes(o.kind));
  if (watched.length === 0 && !objects.some((o) => o.kind === 'PersistentVolumeClaim')) return;
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    await provisionVolumes(client);
    const waiting: Refusal[] = [];
    for (const o of watched) {
      const live = await client.get(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace);
      const why = live ? notSettled(live) : 'gone';
      if (why) waiting.push({ file: fileOf(o), object: objectKey(o), message: why });
    }
    if (waiting.length === 0) return;
    const failed = waiting.filter((w) => w.message.startsWith('failed'));
    if (failed.length > 0) throw new SyncError(failed);
    // A controller that cannot create pods (Pod Security, a missing ServiceAccount, an
    // invalid template) will not succeed by waiting: say so at once.
    const refusedPods = (await warnings(client, namespacesOf(objects))).filter((e) => e.reason === 'FailedCreate');
    if (refusedPods.length > 0) throw new SyncError(refusedPods.map((e) => ({ file: '(events)', object: e.object, message: `${e.reason}: ${e.message}` })));
    if (Date.now() > deadline) {
      const events = await warnings(client, namespacesOf(objects));
      throw new SyncError([
        ...waiting.map((w) => ({ ...w, message: `not settled within ${seconds} s: ${w.message}` })),
        ...events.map((e) => ({ file: '(events)', object: e.object, message: `${e.reason}: ${e.message}` })),
      ]);
    }
    await sleep(300);
  }
}

export interface Warning {
  readonly object: string;
  readonly reason: string;
  readonly message: string;
}

/** Events of type Warning in these namespaces: FailedCreate (Pod Security), invalid specs, failed scheduling. */
/**
 * The harness's volume stand-in binds a claim a moment after the claim appears; the
 * scheduler's complaint in that moment is ours, not the rendering's.
 */
const OUR_OWN = (e: { reason?: string; message?: string }) =>
  (e.reason === 'FailedScheduling' && /unbound immediate PersistentVolumeClaims/.test(e.message ?? '')) ||
  // ...or the scheduler's cache not holding the stand-in's volume yet (its pv-<claim uid> name).
  (e.reason === 'FailedScheduling' && /persistentvolume "pv-[0-9a-f-]{36}" not found/.test(e.message ?? '')) ||
  // The API server's ClusterIP repair loop racing a Service created a moment before under load:
  // the control plane's own, not the rendering's (the Service is served all the same).
  (e.reason === 'ClusterIPNotAllocated' && /is not allocated; repairing/.test(e.message ?? '')) ||
  // No metrics-server runs here: an HPA on CPU has no metrics to read.
  (/^Failed(GetResourceMetric|ComputeMetricsReplicas)$/.test(e.reason ?? '') && /metrics\.k8s\.io/.test(e.message ?? ''));

export async function warnings(client: KubeClient, namespaces: readonly string[]): Promise<Warning[]> {
  const out: Warning[] = [];
  for (const ns of namespaces) {
    for (const e of await client.list('v1', 'Event', ns)) {
      const ev = e as KubeObject & { type?: string; reason?: string; message?: string; involvedObject?: { kind: string; name: string } };
      if (ev.type !== 'Warning' || OUR_OWN(ev)) continue;
      out.push({ object: `${ev.involvedObject?.kind}/${ns}/${ev.involvedObject?.name}`, reason: ev.reason ?? '', message: ev.message ?? '' });
    }
  }
  return out;
}
