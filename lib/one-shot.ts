import * as k8s from '../imports/k8s';
import { Construct } from 'constructs';
import type { Discourse } from './discourse';
import { APP_DIR } from './environment';
import { argoPreSync } from './annotations';
import { contentHash } from './pebble';
import { containerResources, containerSecurityContext, podSecurityContext, schedulingFields, scratchMounts, secretEnvVars } from './workload';

/** The rock's bundler, by absolute path as the charm runs it (PATH may not have it). */
export const BUNDLE = `${APP_DIR}/bin/bundle`;

/**
 * What every one-shot Discourse process (migrations, asset upload, actions)
 * shares: the site's image, env and Secrets, the restricted security context,
 * and a name hashed from what makes a run different (Jobs are immutable).
 */

/** The full env of a one-shot Discourse process: Jobs run without Pebble, so the layer's env goes on the container. */
export function jobEnv(discourse: Discourse, extra: k8s.EnvVar[] = []): k8s.EnvVar[] {
  const plain = Object.entries(discourse.resolved.environment).map(([name, value]) => ({ name, value }));
  // Jobs run without the layer, which is what sets HOME; the root filesystem is read-only, so bundler gets /tmp.
  return [{ name: 'HOME', value: '/tmp' }, ...plain, ...secretEnvVars(discourse.resolved.secretEnvironment), ...extra];
}

/** A container running `command` in the Discourse image with the site's env, resources and scratch volumes. */
function discourseProcess(discourse: Discourse, name: string, command: string[], extraEnv: k8s.EnvVar[] = []): k8s.Container {
  const r = discourse.resolved;
  return {
    name,
    image: r.image,
    imagePullPolicy: 'IfNotPresent',
    workingDir: APP_DIR,
    command,
    env: jobEnv(discourse, extraEnv),
    resources: containerResources(r),
    securityContext: containerSecurityContext(r.readOnlyRootFilesystem),
    volumeMounts: scratchMounts(r, false).map(([volume, mountPath]) => ({ name: volume, mountPath })),
  };
}

/**
 * The init container that holds web pods until the migration Job has brought
 * the schema up to date: for Flux and `kubectl apply`, which have no PreSync.
 * `db:abort_if_pending_migrations` exits non-zero while migrations are pending.
 */
export function waitForMigrationsContainer(discourse: Discourse): k8s.Container {
  return discourseProcess(discourse, 'wait-for-migrations', [
    'sh',
    '-c',
    `until ${BUNDLE} exec rake db:abort_if_pending_migrations; do echo "waiting for the migration Job"; sleep 15; done`,
  ]);
}

/** A pod spec running `command` in the Discourse image with the site's env. */
export function discourseJobPod(discourse: Discourse, command: string[], extraEnv: k8s.EnvVar[] = []): k8s.PodSpec {
  return {
    restartPolicy: 'Never',
    // No serviceAccountName: Argo CD runs these as PreSync hooks, before the site's
    // ServiceAccount exists on a first sync; the namespace default account, without a
    // token, is all they need.
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: podSecurityContext(),
    ...schedulingFields(discourse.resolved),
    containers: [discourseProcess(discourse, 'discourse', command, extraEnv)],
    volumes: scratchMounts(discourse.resolved, false).map(([name]) => ({ name, emptyDir: {} })),
  };
}

/** The one-shot Jobs' names: `<site>-<what>-<8 hex of what makes a run different>`. */
export function oneShotName(discourse: Discourse, what: string, hashOf: readonly string[]): string {
  return `${discourse.resolved.name}-${what}-${contentHash(...hashOf).slice(0, 8)}`;
}

/** What a one-shot Job needs. */
export interface OneShot {
  readonly id: string;
  /** What the Job does: the middle of its name and its component label (`migrate`). */
  readonly what: string;
  /** Inputs whose change must create a new Job (Jobs are immutable). */
  readonly hashOf: readonly string[];
  readonly command: string[];
  readonly env?: k8s.EnvVar[];
  /** Argo CD PreSync weight, or undefined for a plain Job. */
  readonly preSyncWeight?: number;
  readonly backoffLimit?: number;
  /**
   * Needs a migrated schema: wait in the same init container as the web pods, since
   * Flux and kubectl start every Job at once (Argo CD orders them by wave anyway).
   */
  readonly afterMigrations?: boolean;
}

export function oneShotJob(scope: Construct, discourse: Discourse, job: OneShot): k8s.KubeJob {
  return new k8s.KubeJob(scope, job.id, {
    metadata: {
      name: oneShotName(discourse, job.what, job.hashOf),
      labels: { ...discourse.labels, 'app.kubernetes.io/component': job.what },
      ...(job.preSyncWeight !== undefined ? { annotations: argoPreSync(job.preSyncWeight) } : {}),
    },
    spec: {
      backoffLimit: job.backoffLimit ?? 3,
      template: {
        metadata: { labels: discourse.labels },
        spec: {
          ...discourseJobPod(discourse, job.command, job.env),
          ...(job.afterMigrations && discourse.resolved.migrations ? { initContainers: [waitForMigrationsContainer(discourse)] } : {}),
        },
      },
    },
  });
}
