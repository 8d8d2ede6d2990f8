import type { Manifest } from '../lib/core/manifest';
import type { TransitionFinding } from '../lib/gitops/immutable-fields';

/**
 * What to do about a change Kubernetes refuses (or a prune that would delete data), in
 * the words of someone who must not lose the forum's data: what the object holds, the
 * safe way first, then the steps for the change as asked. Every step that deletes
 * something says, on its own line, what goes with it.
 */

/** What synth knows of the object: its kind, namespace, name, site and the values it had. */
interface Subject {
  readonly finding: TransitionFinding;
  readonly before: Manifest;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly site: string;
  /** `-n <namespace> ` for kubectl, or nothing for cluster-scoped objects. */
  readonly n: string;
}

function at(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), value);
}

/** The site-file key of a claim's size and what the claim holds, from its name (lib/workload/workload.ts claimNames). */
function claimOf(s: Subject): { holds: string; short: string; sizeKey?: string; classKey?: string } {
  if (s.name === `${s.site}-uploads`)
    return {
      holds: "the forum's uploads (every file its users attached)",
      short: 'the uploads',
      sizeKey: 'uploads.size',
      classKey: 'uploads.storage_class and uploads.access_mode',
    };
  if (s.name === `${s.site}-backups`)
    return {
      holds: "Discourse's backups",
      short: 'the backups',
      sizeKey: 'backups.volume.size',
      classKey: 'backups.volume.storage_class and backups.volume.access_mode',
    };
  return { holds: 'the data on its volume', short: 'the data' };
}

/** A claim: grow instead of shrinking; a smaller or different volume is a new claim and a copy. */
function claim(s: Subject): string[] {
  const { holds, short, sizeKey, classKey } = claimOf(s);
  const shrink = s.finding.field === 'spec.resources.requests.storage';
  const size = String(at(s.before, 'spec.resources.requests.storage') ?? 'its size');
  const pods = `kubectl ${s.n}scale deployment -l app.kubernetes.io/instance=${s.site} --replicas=0`;
  return [
    `This claim holds ${holds}; deleting it deletes them.`,
    shrink
      ? `Safe: keep ${sizeKey ?? 'its size'} at ${size} or more: a claim grows in place, so raise it whenever you need room, never lower it.`
      : `Safe: keep ${classKey ?? 'its spec'} as they were: only the size of a claim can change, and only upwards.`,
    `For ${shrink ? 'a smaller volume' : 'another storage class or access mode'} the data must move to a new claim first:`,
    `  1. pause the GitOps sync of ${s.site} and stop its pods: ${pods} (stops the forum; deletes nothing)`,
    `  2. create a claim ${s.name}-copy big enough for the files, copy them into it with a pod that mounts both (cp -a /old/. /new/), and check the copy`,
    `  3. only then: kubectl ${s.n}delete pvc ${s.name} (this deletes ${short} on it: the copy from step 2 is what keeps them)`,
    `  4. npm run synth -- --allow-replace, commit and sync: ${s.name} comes back with the new settings, empty`,
    `  5. copy the files back from ${s.name}-copy the same way, start the forum (sync), and once it shows them: kubectl ${s.n}delete pvc ${s.name}-copy (this deletes the copy)`,
  ];
}

/** A StatefulSet (the site's Valkey): its data is on claims that deleting it with --cascade=orphan keeps. */
function statefulSet(s: Subject): string[] {
  const templates = (at(s.before, 'spec.volumeClaimTemplates') ?? []) as Array<{ metadata?: { name?: string } }>;
  const claims = templates.map((t) => `${t.metadata?.name ?? 'data'}-${s.name}-0`);
  const grow = s.finding.change.includes('volumeClaimTemplates') && /storage/.test(s.finding.change);
  return [
    `This StatefulSet runs the site's Valkey; its data is on the claim${claims.length === 1 ? '' : 's'} ${claims.join(', ') || 'of its volumeClaimTemplates'}, not on the StatefulSet.`,
    'Safe: change the site back (a StatefulSet keeps its claim templates, and most of its spec, for life).',
    ...(grow
      ? [
          `To grow the volume: kubectl ${s.n}patch pvc ${claims[0] ?? '<claim>'} -p '{"spec":{"resources":{"requests":{"storage":"<new size>"}}}}' (grows it in place; deletes nothing). A claim cannot shrink: for a smaller one, copy the data to a new claim as for uploads.`,
        ]
      : []),
    `Then: kubectl ${s.n}delete statefulset ${s.name} --cascade=orphan (deletes only the StatefulSet object: its pod keeps running and its claim keeps the data), npm run synth -- --allow-replace, and sync: the new StatefulSet adopts the pod and the claim.`,
  ];
}

/** A CloudNativePG Cluster: it holds the forum's database. */
function cnpgCluster(s: Subject): string[] {
  const size = String(at(s.before, 'spec.storage.size') ?? 'its size');
  const shrink = s.finding.field === 'spec.storage.size';
  return [
    "This Cluster holds the forum's database (every post, user and setting); deleting it deletes the database.",
    shrink
      ? `Safe: keep database.cloudnativepg.create.storage_size at ${size} or more: the storage grows in place, never shrinks.`
      : 'Safe: keep the PostgreSQL major version of database.cloudnativepg.create.image: CloudNativePG upgrades a major version in place, never downgrades one.',
    `For ${shrink ? 'a smaller volume' : 'an older major version'}, move the data to a new cluster: back it up (docs/backups.md), add a cluster under another name (database.cloudnativepg.cluster) restored from that backup (docs/backups.md#point-in-time-recovery-of-a-cloudnativepg-database), and point the site at it.`,
    `Only once the forum runs on the new one: remove the old Cluster (kubectl ${s.n}delete cluster.postgresql.cnpg.io ${s.name} deletes its database: keep the backup).`,
  ];
}

/** A CloudNativePG Database object: with reclaim policy retain, deleting the object keeps the database. */
function cnpgDatabase(s: Subject): string[] {
  const retained = at(s.before, 'spec.databaseReclaimPolicy') === 'retain';
  return retained
    ? [
        'Safe: change the site back.',
        `Or: kubectl ${s.n}delete database.postgresql.cnpg.io ${s.name} (removes only the object: its databaseReclaimPolicy is retain, so the database and its data stay in PostgreSQL), then npm run synth -- --allow-replace and sync.`,
      ]
    : [
        `This Database object drops its database when deleted (databaseReclaimPolicy: ${String(at(s.before, 'spec.databaseReclaimPolicy') ?? 'unset')}): safe: change the site back.`,
        `Or first: kubectl ${s.n}patch database.postgresql.cnpg.io ${s.name} --type=merge -p '{"spec":{"databaseReclaimPolicy":"retain"}}' (deletes nothing), then delete the object (the database stays) and run npm run synth -- --allow-replace.`,
      ];
}

/** Objects that hold no data of the forum: what deleting them costs, then the command. */
const NO_DATA: Readonly<Record<string, (s: Subject) => string>> = {
  Job: (s) => `kubectl ${s.n}delete job ${s.name} (a Job holds no data; its pod's logs go with it)`,
  Deployment: (s) => `kubectl ${s.n}delete deployment ${s.name} (holds no data, the uploads are on their claim; its pods stop until the sync re-creates it)`,
  ReplicaSet: (s) => `kubectl ${s.n}delete replicaset ${s.name} (holds no data; its pods stop until it is re-created)`,
  DaemonSet: (s) => `kubectl ${s.n}delete daemonset ${s.name} (holds no data; its pods stop until it is re-created)`,
  Service: (s) => `kubectl ${s.n}delete service ${s.name} (holds no data; traffic to it stops until the sync re-creates it)`,
  ConfigMap: (s) => `kubectl ${s.n}delete configmap ${s.name} (its content is in dist/; pods that mount it cannot start until the sync re-creates it)`,
  Secret: (s) => `kubectl ${s.n}delete secret ${s.name} (deletes the values in it: copy them first with kubectl ${s.n}get secret ${s.name} -o yaml)`,
  RoleBinding: (s) => `kubectl ${s.n}delete rolebinding ${s.name} (holds no data)`,
  ClusterRoleBinding: (s) => `kubectl delete clusterrolebinding ${s.name} (holds no data)`,
  ScheduledBackup: (s) => `kubectl ${s.n}delete scheduledbackup.postgresql.cnpg.io ${s.name} (holds no data: the backups it made stay in the bucket)`,
};

/** What a sync would delete with an object that leaves the rendering. */
function pruned(s: Subject): string[] {
  const holds =
    s.kind === 'PersistentVolumeClaim'
      ? claimOf(s).holds
      : s.kind === 'Namespace'
        ? 'everything in the namespace, the claims with the uploads among it'
        : s.kind === 'Cluster'
          ? "the forum's database"
          : 'the database it manages, if its reclaim policy is delete';
  const kind = s.kind === 'Cluster' || s.kind === 'Database' ? `${s.kind.toLowerCase()}.postgresql.cnpg.io` : s.kind.toLowerCase();
  return [
    `It holds ${holds}: a sync of the new rendering would delete it, and them.`,
    'Safe: change the site back.',
    `To let it leave the rendering and keep it: kubectl ${s.n}annotate ${kind} ${s.name} argocd.argoproj.io/sync-options=Prune=false kustomize.toolkit.fluxcd.io/prune=disabled (deletes nothing; Argo CD and Flux then leave it in the cluster), and only then npm run synth -- --allow-replace.`,
  ];
}

/**
 * The lines under one finding: what the object holds, the safe way, then how to make the
 * change anyway without losing data. `before` is the object as the cluster has it.
 */
export function safeWay(finding: TransitionFinding, before: Manifest): string[] {
  const [, namespace = '', name = before.metadata.name] = finding.object.split('/');
  const labels = (before.metadata.labels ?? {}) as Record<string, string>;
  const s: Subject = {
    finding,
    before,
    kind: before.kind,
    namespace,
    name,
    site: labels['app.kubernetes.io/instance'] ?? name,
    n: namespace === '' ? '' : `-n ${namespace} `,
  };
  if (finding.field === 'metadata.annotations') return pruned(s);
  if (s.kind === 'PersistentVolumeClaim') return claim(s);
  if (s.kind === 'StatefulSet') return statefulSet(s);
  if (s.kind === 'Cluster' && before.apiVersion.startsWith('postgresql.cnpg.io/')) return cnpgCluster(s);
  if (s.kind === 'Database' && before.apiVersion.startsWith('postgresql.cnpg.io/')) return cnpgDatabase(s);
  const command = NO_DATA[s.kind];
  return [
    'Safe: change the site back.',
    command
      ? `Or: ${command(s)}, then npm run synth -- --allow-replace and sync, which creates it anew.`
      : `Or find out what ${s.kind} ${s.name} holds before you delete it; then npm run synth -- --allow-replace.`,
  ];
}
