import * as k8s from '../../imports/k8s';
import { Construct } from 'constructs';
import { APP_DIR, BUNDLE } from '../core/paths';
import { JobNeed, jobEnvironment } from './job-environment';
import { contentHash } from '../core/units';
import type { ResolvedDiscourse } from '../model/props';
import { containerSecurityContext, podSecurityContext } from '../core/security-context';
import {
  containerResources,
  dataMounts,
  dataVolumes,
  holdsReadWriteOnce,
  schedulingFields,
  scratchMounts,
  secretEnvVars,
  selectorLabels,
  withVersion,
} from './workload';

/**
 * Discourse's switch for its two-phase migrations (`Discourse.skip_post_deployment_migrations?`
 * accepts `1` or `true`): with it, `db:migrate` and `db:abort_if_pending_migrations` leave
 * `db/post_migrate` alone, so old and new code can share the schema during a rollout.
 */
export const SKIP_POST_DEPLOYMENT_MIGRATIONS: k8s.EnvVar = { name: 'SKIP_POST_DEPLOYMENT_MIGRATIONS', value: '1' };

/**
 * What a one-shot Job needs of its site: data, not the Discourse construct, so the
 * Job files do not import the construct that creates them.
 */
export interface OneShotSite {
  readonly resolved: ResolvedDiscourse;
  /** Labels every object of the site carries. */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The env of a one-shot Discourse process: only what its task reads (see
 * {@link jobEnvironment}), because every variable here is part of the Job's identity.
 */
export function jobEnv(site: OneShotSite, needs: readonly JobNeed[] = [], extra: readonly k8s.EnvVar[] = []): k8s.EnvVar[] {
  const { plain, secrets } = jobEnvironment(site.resolved, needs);
  // Jobs run without the layer, which is what sets HOME; the root filesystem is read-only, so bundler gets /tmp.
  return [{ name: 'HOME', value: '/tmp' }, ...Object.entries(plain).map(([name, value]) => ({ name, value })), ...secretEnvVars(secrets), ...extra];
}

/** A container running `command` in the Discourse image with the env its task needs, resources and scratch volumes. */
export function discourseProcess(
  site: OneShotSite,
  name: string,
  command: string[],
  needs: readonly JobNeed[] = [],
  extraEnv: readonly k8s.EnvVar[] = [],
): k8s.Container {
  const r = site.resolved;
  return {
    name,
    image: r.image,
    imagePullPolicy: 'IfNotPresent',
    workingDir: APP_DIR,
    command,
    env: jobEnv(site, needs, extraEnv),
    resources: containerResources(r),
    securityContext: containerSecurityContext(r.readOnlyRootFilesystem),
    volumeMounts: scratchMounts(r, false).map(([volume, mountPath]) => ({ name: volume, mountPath })),
  };
}

/**
 * The init container that holds web pods (and Jobs that need the schema) until the
 * pre-deploy migrations are in: for Flux and `kubectl apply`, which have no sync waves.
 * `db:abort_if_pending_migrations` exits non-zero while migrations are pending; with
 * post-deploy migrations skipped, those (run after the rollout) do not hold anything.
 */
export function waitForMigrationsContainer(site: OneShotSite): k8s.Container {
  return discourseProcess(
    site,
    'wait-for-migrations',
    ['sh', '-c', `until ${BUNDLE} exec rake db:abort_if_pending_migrations; do echo "waiting for the migration Job"; sleep 15; done`],
    [],
    [SKIP_POST_DEPLOYMENT_MIGRATIONS],
  );
}

/** A pod spec running `command` in the Discourse image with the env its task needs. */
export function discourseJobPod(site: OneShotSite, command: string[], needs: readonly JobNeed[] = [], extraEnv: readonly k8s.EnvVar[] = []): k8s.PodSpec {
  return {
    restartPolicy: 'Never',
    // No serviceAccountName: Argo CD runs these in waves before the site's, when its
    // ServiceAccount does not exist yet on a first sync; the namespace default account,
    // without a token, is all they need.
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: podSecurityContext(),
    ...schedulingFields(site.resolved),
    containers: [discourseProcess(site, 'discourse', command, needs, extraEnv)],
    volumes: scratchMounts(site.resolved, false).map(([name]) => ({ name, emptyDir: {} })),
  };
}

/**
 * A Job's name: `<site>-<what>-<8 hex of its spec>`. A Job's spec cannot change once it
 * exists, so the name changes exactly when the spec does: kubectl, Flux and Argo CD
 * create a new Job instead of failing with "field is immutable", and whatever is not
 * in the spec (the Job's env is cut to what its task reads) cannot make it run again.
 */
export function jobName(site: string, what: string, spec: k8s.JobSpec): string {
  return `${site}-${what}-${contentHash(JSON.stringify(k8s.toJson_JobSpec(spec))).slice(0, 8)}`;
}

/** What a one-shot Job needs. */
export interface OneShot {
  readonly id: string;
  /** What the Job does: the middle of its name and its component label (`migrate`). */
  readonly what: string;
  readonly command: string[];
  /** Parts of the site's env the task reads beyond booting Rails. @default [] */
  readonly needs?: readonly JobNeed[];
  /** Task inputs. @default [] */
  readonly env?: readonly k8s.EnvVar[];
  /** Annotations for Argo CD (hooks, waves). @default {} */
  readonly annotations?: Readonly<Record<string, string>>;
  /** @default 3 */
  readonly backoffLimit?: number;
  /**
   * Needs a migrated schema: wait in the same init container as the web pods, since
   * Flux and kubectl start every Job at once (Argo CD orders them by wave anyway).
   * @default false
   */
  readonly afterMigrations?: boolean;
  /** Init containers that run before (after the migration wait). @default [] */
  readonly initContainers?: readonly k8s.Container[];
  /** A ServiceAccount whose token the pod needs. @default - none, and no token */
  readonly serviceAccountName?: string;
  /**
   * Mount the site's uploads and backups volumes as the web pods do (a restore reads the
   * backup and writes the uploads). A ReadWriteOnce volume can only be used on the node it
   * is attached to: the pod then runs next to a web pod.
   * @default false
   */
  readonly dataVolumes?: boolean;
}

/** The spec of a one-shot Job; pure, so that names and tests can be computed without a chart. */
export function oneShotSpec(site: OneShotSite, job: OneShot): k8s.JobSpec {
  const shell = discourseJobPod(site, job.command, job.needs, job.env);
  const pod = job.dataVolumes ? withDataVolumes(shell, site.resolved) : shell;
  const init = [...(job.afterMigrations && site.resolved.migrations ? [waitForMigrationsContainer(site)] : []), ...(job.initContainers ?? [])];
  return {
    backoffLimit: job.backoffLimit ?? 3,
    template: {
      metadata: { labels: withVersion(site.labels, site.resolved.version) },
      spec: {
        ...pod,
        ...(job.serviceAccountName ? { serviceAccountName: job.serviceAccountName, automountServiceAccountToken: true } : {}),
        ...(init.length > 0 ? { initContainers: init } : {}),
      },
    },
  };
}

/** A one-shot pod with the site's data volumes, next to a web pod when one of them is ReadWriteOnce. */
function withDataVolumes(pod: k8s.PodSpec, r: ResolvedDiscourse): k8s.PodSpec {
  const [container, ...others] = pod.containers;
  const term = { labelSelector: { matchLabels: selectorLabels(r.name) }, topologyKey: 'kubernetes.io/hostname' };
  return {
    ...pod,
    ...(holdsReadWriteOnce(r) ? { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } } : {}),
    containers: [{ ...container, volumeMounts: [...(container.volumeMounts ?? []), ...dataMounts(r)] }, ...others],
    volumes: [...(pod.volumes ?? []), ...dataVolumes(r)],
  };
}

export function oneShotJob(scope: Construct, site: OneShotSite, job: OneShot): k8s.KubeJob {
  const spec = oneShotSpec(site, job);
  return new k8s.KubeJob(scope, job.id, {
    metadata: {
      name: jobName(site.resolved.name, job.what, spec),
      labels: { ...withVersion(site.labels, site.resolved.version), 'app.kubernetes.io/component': job.what },
      ...(job.annotations && Object.keys(job.annotations).length > 0 ? { annotations: { ...job.annotations } } : {}),
    },
    spec,
  });
}
