import { Chart } from 'cdk8s';
import * as k8s from '../imports/k8s';
import { Construct } from 'constructs';
import { LAYER_FILE, discourseLayer, siteLogTarget } from './pebble/discourse-layer';
import { HTTP_PORT, METRICS_PORT } from './model/environment';
import { KEEP_ON_PRUNE } from './core/annotations';
import { CloudNativePgDatabase } from './data/cnpg-database';
import { BackupSettingsJob } from './workload/backup-settings-job';
import { ExtensionsSetupJob } from './workload/extensions-job';
import { ForceHttpsJob } from './workload/force-https-job';
import { MigrationJob } from './workload/migration-job';
import { waitForMigrationsContainer } from './workload/one-shot';
import { OperationJob, OperationJobProps } from './workload/operation-job';
import { Operation, operationSubject, validateOperation } from './model/operations';
import { PostMigrationJob } from './workload/post-migration-job';
import { S3AssetsJob } from './workload/s3-assets-job';
import { DiscourseSidekiq } from './workload/sidekiq';
import { PebbleLayer, layerDocument, renderLayer, validateLayer, validateLayerDocument } from './pebble/pebble';
import { contentHash, sizeQuantity } from './core/units';
import { ValidationError } from './core/problems';
import { DiscourseProps, ResolvedDiscourse } from './model/props';
import { resolveDiscourse } from './model/resolve-discourse';
import { claimNames, commonLabels, discoursePodSpec, egressPorts, holdsReadWriteOnce, selectorLabels, withVersion } from './workload/workload';

/** Pod-template annotation whose change rolls the pods (the charm's config_changed restart). */
export const CONFIG_HASH_ANNOTATION = 'discourse-cdk8s.io/config-hash';

/** Stakater Reloader's annotation: a rollout when any listed Secret changes. */
export const RELOADER_ANNOTATION = 'secret.reloader.stakater.com/reload';

/** Options for how a Discourse construct reports problems. */
export interface DiscourseValidationOptions {
  /** Names the input in error messages. @default - the construct path */
  readonly source?: string;
}

/** The construct id of an operation's Job: one per action and subject. */
function operationId(op: Operation): string {
  return `Operation-${op.action}-${operationSubject(op)}`;
}

function isResolved(props: DiscourseProps | ResolvedDiscourse): props is ResolvedDiscourse {
  return (props as Partial<ResolvedDiscourse>).isResolved === true;
}

function resolveOrThrow(props: DiscourseProps, id: string, source: string): ResolvedDiscourse {
  const { resolved, problems } = resolveDiscourse(props, id);
  if (problems.length > 0) throw new ValidationError(source, problems);
  return resolved;
}

/**
 * A Discourse site as Canonical's charm runs it: a Deployment whose container
 * starts Pebble, which runs Unicorn (with Sidekiq) from a rendered layer; a
 * Service with `http` (3000) and `metrics` (9394); the uploads volume; a
 * ServiceAccount without token; a PodDisruptionBudget when replicated; and a
 * NetworkPolicy. Props are validated here and every problem is reported at once.
 */
export class Discourse extends Construct {
  /** Props with defaults applied. */
  public readonly resolved: ResolvedDiscourse;
  /** The Pebble layer, as a typed model. */
  public readonly layer: PebbleLayer;
  /** The layer as written to `001-discourse.yaml`. */
  public readonly layerYaml: string;
  /** Names the site's objects use. */
  public readonly names: {
    readonly deployment: string;
    readonly service: string;
    readonly layerConfigMap: string;
    readonly uploadsClaim: string;
    readonly backupsClaim: string;
    readonly serviceAccount: string;
  };
  /** Labels that select the web pods (also the Service selector). */
  public readonly selectorLabels: Record<string, string>;
  /** Labels on every object of the site. */
  public readonly labels: Record<string, string>;
  /** The Deployment (also `node.defaultChild`). */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service. */
  public readonly service: k8s.KubeService;
  /** The pre-deploy migration Job, unless migrations are off. */
  public readonly migration?: MigrationJob;
  /** The post-deploy migration Job (after the rollout), unless migrations are off. */
  public readonly postMigration?: PostMigrationJob;
  /** Sidekiq's own Deployment, in `sidekiq.mode: separate`. */
  public readonly sidekiq?: DiscourseSidekiq;

  /**
   * @param props the site's props, validated here with every problem reported at once; or
   *   a value {@link resolveDiscourse} returned without problems, used as it is (the site
   *   pipeline resolves once, before it builds anything).
   */
  constructor(scope: Construct, id: string, props: DiscourseProps | ResolvedDiscourse, options: DiscourseValidationOptions = {}) {
    // Validate before joining the tree, so a rejected site leaves no half-built construct behind.
    const resolved = isResolved(props)
      ? props
      : resolveOrThrow(props, id, options.source ?? `Discourse ${[scope.node.path, id].filter((p) => p !== '').join('/')}`);
    const source = options.source ?? `Discourse ${[scope.node.path, id].filter((p) => p !== '').join('/')}`;
    super(scope, id);
    this.resolved = resolved;
    const name = resolved.name;
    this.names = {
      deployment: name,
      service: name,
      layerConfigMap: `${name}-pebble`,
      uploadsClaim: claimNames(name).uploads,
      backupsClaim: claimNames(name).backups,
      serviceAccount: name,
    };
    this.selectorLabels = selectorLabels(name);
    this.labels = commonLabels(name);

    this.layer = discourseLayer({
      environment: resolved.environment,
      killDelaySeconds: resolved.killDelaySeconds,
      tailLogs: true,
      withoutSidekiq: resolved.sidekiq.mode === 'separate',
      bootSeconds: resolved.startupTimeoutSeconds,
      logTarget: siteLogTarget(resolved, { name, namespace: this.namespace, role: 'web' }),
    });
    this.layerYaml = renderLayer(this.layer);
    // Both the model (Pebble's rules) and the written document (Pebble's keys) are checked, as Pebble would at boot.
    const layerErrors = [...validateLayer(this.layer, LAYER_FILE), ...validateLayerDocument(layerDocument(this.layer))];
    if (layerErrors.length > 0) {
      throw new ValidationError(
        source,
        layerErrors.map((message) => ({ path: 'pebble layer', message })),
      );
    }
    const metadata = (objectName: string, extra: Record<string, string> = {}) => ({ name: objectName, labels: { ...this.labels, ...extra } });

    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: metadata(this.names.serviceAccount), automountServiceAccountToken: false });
    new k8s.KubeConfigMap(this, 'PebbleLayer', { metadata: metadata(this.names.layerConfigMap), data: { [LAYER_FILE]: this.layerYaml } });
    if (resolved.uploads.enabled) {
      new k8s.KubePersistentVolumeClaim(this, 'Uploads', {
        // Uploads are data: turning S3 on or deleting the site must not let Argo CD or Flux delete them.
        metadata: { ...metadata(this.names.uploadsClaim), annotations: KEEP_ON_PRUNE },
        spec: {
          accessModes: [resolved.uploads.accessMode],
          resources: { requests: { storage: k8s.Quantity.fromString(sizeQuantity(resolved.uploads.size)) } },
          ...(resolved.uploads.storageClassName ? { storageClassName: resolved.uploads.storageClassName } : {}),
        },
      });
    }

    const backupVolume = resolved.backups?.volume;
    if (backupVolume) {
      new k8s.KubePersistentVolumeClaim(this, 'Backups', {
        // Backups are data too: never pruned, also when backups move to S3 or the site goes.
        metadata: { ...metadata(this.names.backupsClaim, { 'app.kubernetes.io/component': 'backups' }), annotations: KEEP_ON_PRUNE },
        spec: {
          accessModes: [backupVolume.accessMode],
          resources: { requests: { storage: k8s.Quantity.fromString(sizeQuantity(backupVolume.size)) } },
          ...(backupVolume.storageClassName ? { storageClassName: backupVolume.storageClassName } : {}),
        },
      });
    }

    // Secret names and keys (not values) are part of the hash: pointing at another Secret rolls the pods.
    const hash = contentHash(this.layerYaml, JSON.stringify(resolved.secretEnvironment), resolved.image);
    const singleWriter = holdsReadWriteOnce(resolved);
    const secretNames = [...new Set(resolved.secretEnvironment.map((s) => s.from.secret))].sort();
    this.deployment = new k8s.KubeDeployment(this, 'Resource', {
      metadata: {
        name: this.names.deployment,
        labels: { ...withVersion(this.labels, resolved.version), 'app.kubernetes.io/component': 'web' },
        // Stakater Reloader rolls the pods when one of these Secrets changes; harmless without it.
        ...(resolved.reloadOnSecretChange && secretNames.length > 0 ? { annotations: { [RELOADER_ANNOTATION]: secretNames.join(',') } } : {}),
      },
      spec: {
        // With an autoscaler the count is its business; a replicas field would be reset on every sync.
        ...(resolved.autoscaling ? {} : { replicas: resolved.replicas }),
        revisionHistoryLimit: 5,
        selector: { matchLabels: this.selectorLabels },
        // A ReadWriteOnce volume (uploads or backups) cannot be attached to the old and the new pod at once.
        strategy: singleWriter
          ? { type: 'Recreate' }
          : { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) } },
        template: {
          metadata: { labels: { ...withVersion(this.labels, resolved.version), ...this.selectorLabels }, annotations: { [CONFIG_HASH_ANNOTATION]: hash } },
          spec: discoursePodSpec(resolved, this.names, resolved.migrations ? [waitForMigrationsContainer(this)] : []),
        },
      },
    });

    const ports: k8s.ServicePort[] = [{ name: 'http', port: HTTP_PORT, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }];
    if (resolved.metrics === 'exporter')
      ports.push({ name: 'metrics', port: METRICS_PORT, targetPort: k8s.IntOrString.fromString('metrics'), protocol: 'TCP' });
    this.service = new k8s.KubeService(this, 'Service', {
      metadata: metadata(this.names.service),
      spec: { type: 'ClusterIP', selector: this.selectorLabels, ports },
    });

    if (resolved.autoscaling) {
      new k8s.KubeHorizontalPodAutoscalerV2(this, 'Autoscaler', {
        metadata: metadata(name),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.names.deployment },
          minReplicas: resolved.autoscaling.minReplicas,
          maxReplicas: resolved.autoscaling.maxReplicas,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: resolved.autoscaling.cpuUtilization } } }],
        },
      });
    }
    if (resolved.maxPods > 1) {
      new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
        metadata: metadata(name),
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: this.selectorLabels } },
      });
    }
    this.sidekiq = resolved.sidekiq.mode === 'separate' ? new DiscourseSidekiq(this, 'Sidekiq', this) : undefined;
    if (resolved.networkPolicy.enabled) this.addNetworkPolicy(metadata(name));
    if (resolved.databaseExtensions?.via === 'superuser-job') new ExtensionsSetupJob(this, 'DatabaseExtensions', this, resolved.databaseExtensions.job!);
    if (resolved.databaseExtensions?.via === 'cloudnativepg') new CloudNativePgDatabase(this, 'Database', this);
    this.migration = resolved.migrations ? new MigrationJob(this, 'Migrate', this) : undefined;
    this.postMigration = resolved.migrations
      ? new PostMigrationJob(this, 'PostMigrate', this, {
          deployments: [this.names.deployment, ...(this.sidekiq ? [this.sidekiq.name] : [])],
        })
      : undefined;
    if (resolved.config.s3Enabled) new S3AssetsJob(this, 'S3Assets', this);
    new ForceHttpsJob(this, 'ForceHttps', this);
    if (resolved.backups) new BackupSettingsJob(this, 'BackupSettings', this, resolved.backups);
    // Checked in resolveDiscourse, duplicates included.
    resolved.operations.forEach((op) => new OperationJob(this, operationId(op), this, op));
  }

  /** Renders one of the charm's actions as a Job. Refuses an invalid operation, and the same operation twice. */
  public addOperation(op: Operation, options: OperationJobProps = {}): OperationJob {
    const problems = validateOperation(op, 'operation');
    if (problems.length > 0) throw new ValidationError(`Discourse ${this.node.path} addOperation`, problems);
    if (this.node.tryFindChild(operationId(op))) throw new Error(`operation ${op.action} for ${operationSubject(op)} is already defined`);
    return new OperationJob(this, operationId(op), this, op, options);
  }

  private addNetworkPolicy(metadata: { name: string; labels: Record<string, string> }): void {
    const r = this.resolved;
    const namespace = (ns: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });
    const tcp = (port: string) => ({ protocol: 'TCP', port: k8s.IntOrString.fromString(port) });
    const metricsPort = r.metrics === 'exporter' ? 'metrics' : 'http';
    const egress = r.networkPolicy.restrictEgress
      ? {
          egress: [
            { ports: [53, 53].map((port, i) => ({ protocol: i === 0 ? 'UDP' : 'TCP', port: k8s.IntOrString.fromNumber(port) })) },
            { ports: egressPorts(r).map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) })) },
          ],
        }
      : {};
    const policyTypes = r.networkPolicy.restrictEgress ? ['Ingress', 'Egress'] : ['Ingress'];
    new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata,
      spec: {
        podSelector: { matchLabels: this.selectorLabels },
        policyTypes,
        ingress: [
          {
            from: r.networkPolicy.httpFrom.map((peer) => ({
              ...namespace(peer.namespace),
              ...(peer.podLabels ? { podSelector: { matchLabels: { ...peer.podLabels } } } : {}),
            })),
            ports: [tcp('http')],
          },
          { from: [namespace(r.networkPolicy.monitoringNamespace)], ports: [tcp(metricsPort)] },
        ],
        ...egress,
      },
    });
    // Sidekiq pods: Prometheus only (the collector), and the web pods' egress: the same jobs talk to the same services.
    if (this.sidekiq) {
      new k8s.KubeNetworkPolicy(this, 'SidekiqNetworkPolicy', {
        metadata: { ...metadata, name: this.sidekiq.name },
        spec: {
          podSelector: { matchLabels: this.sidekiq.selectorLabels },
          policyTypes,
          ingress: [{ from: [namespace(r.networkPolicy.monitoringNamespace)], ports: [tcp('metrics')] }],
          ...egress,
        },
      });
    }
  }

  /** The namespace objects land in: the chart's, else `default`. */
  public get namespace(): string {
    return Chart.of(this).namespace ?? 'default';
  }
}
