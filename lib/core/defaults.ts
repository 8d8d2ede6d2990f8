import { Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';

/**
 * Every default of the library, in one place: the constructs, the resolve functions, the
 * site-file table and the docs read them from here. (The charm options' defaults are the
 * charm's and live in its table, OPTIONS in config.ts.)
 */
export const DEFAULTS = {
  // The pods.
  replicas: 1,
  autoscalingMinReplicas: 2,
  autoscalingCpuUtilization: 70,
  metrics: 'exporter' as 'exporter' | 'plugin',
  pebbleHealthPort: 38813,
  killDelay: Duration.seconds(20),
  startupTimeout: Duration.minutes(10),
  cpuRequest: Cpu.millis(500),
  cpuLimit: Cpu.units(2),
  memoryRequest: Size.gibibytes(2),
  memoryLimit: Size.gibibytes(4),
  uploadsSize: Size.gibibytes(20),
  sidekiqMode: 'embedded' as 'embedded' | 'separate',
  sidekiqReplicas: 1,
  // kube-prometheus-stack's Prometheus Service; KEDA asks it for the queue latency.
  kedaPrometheusUrl: 'http://prometheus-operated.monitoring.svc:9090',
  sidekiqQueueLatencyThresholdSeconds: 30,
  sidekiqAutoscalingMinReplicas: 1,
  sidekiqResources: { cpuRequest: Cpu.millis(250), cpuLimit: Cpu.units(1), memoryRequest: Size.gibibytes(1), memoryLimit: Size.gibibytes(2) },
  uploadsAccessMode: 'ReadWriteOnce' as const,
  ingressNamespace: 'ingress-nginx',
  monitoringNamespace: 'monitoring',
  // Data services.
  postgresPort: 5432,
  postgresDatabase: 'discourse',
  postgresUser: 'discourse',
  redisPort: 6379,
  psqlImage: 'docker.io/library/postgres:16',
  cnpgDatabase: 'app',
  cnpgOwner: 'app',
  // Ingress.
  ingressClassName: 'nginx',
  ingressController: 'ingress-nginx' as 'ingress-nginx' | 'generic',
  ingressPaths: ['/'] as readonly string[],
  stickySessions: true,
  maxBodySize: Size.mebibytes(20),
  // Gateway API route.
  gatewayImplementation: 'standard' as 'standard' | 'envoy-gateway' | 'nginx-gateway-fabric',
  gatewaySectionName: 'https',
  gatewayHttpSectionName: 'http',
  // Envoy Gateway's own namespace (its Helm chart's), where it runs every Gateway's proxies.
  envoyGatewayNamespace: 'envoy-gateway-system',
  // Monitoring.
  prometheusLabels: { release: 'kube-prometheus-stack' } as Readonly<Record<string, string>>,
  dashboardLabels: { grafana_dashboard: '1' } as Readonly<Record<string, string>>,
  /** Where dashboards go: ConfigMaps for Grafana's sidecar (kube-prometheus-stack), what `dashboards: true` always meant. */
  dashboardCarrier: 'sidecar' as 'sidecar' | 'grafana-operator',
  scrapeInterval: '30s',
  scrapeTimeout: '10s',
  // What a Recreate rollout (one pod with a ReadWriteOnce volume) is down for, as docs/day-2.md
  // states it ("Upgrading Discourse without downtime"): the ingress alerts tolerate it.
  recreateRolloutDowntime: Duration.minutes(3),
  ingressNamespaceLabel: 'exported_namespace' as 'exported_namespace' | 'namespace',
  // In-cluster data services (Day 0).
  cnpgCluster: {
    // PostgreSQL 18: Discourse's own installer runs it, and it is CloudNativePG 1.27.4's and
    // 1.29's default image; "system" is the flavour that ships barman-cloud for backups.
    image: 'ghcr.io/cloudnative-pg/postgresql:18.3-system-trixie',
    instances: 2,
    database: 'discourse',
    owner: 'discourse',
    storageSize: Size.gibibytes(10),
    // Requests equal to limits: the Guaranteed QoS class that CloudNativePG recommends for
    // PostgreSQL (docs/src/resource_management.md).
    resources: { cpuRequest: Cpu.units(1), cpuLimit: Cpu.units(1), memoryRequest: Size.gibibytes(1), memoryLimit: Size.gibibytes(1) },
    retentionPolicy: '30d',
    schedule: '0 0 3 * * *',
  },
  redisServer: {
    image: 'docker.io/valkey/valkey:9.0.4',
    storageSize: Size.gibibytes(2),
    resources: { cpuRequest: Cpu.millis(100), cpuLimit: Cpu.units(1), memoryRequest: Size.mebibytes(256), memoryLimit: Size.gibibytes(1) },
    // With monitoring: oliver006/redis_exporter (MIT; Valkey 7-9) beside the server.
    exporterImage: 'docker.io/oliver006/redis_exporter:v1.88.0',
  },
  // Discourse's automatic backups (`backups:`); Discourse's own defaults are 7 days, 3:30 and 5.
  backups: {
    frequency: Duration.days(1),
    timeOfDay: '3:30',
    keep: 5,
    volumeSize: Size.gibibytes(50),
    volumeAccessMode: 'ReadWriteOnce' as 'ReadWriteOnce' | 'ReadWriteMany',
  },
  // GitOps.
  gitRevision: 'main',
  argocdNamespace: 'argocd',
  argocdProject: 'default',
  argocdDestinationServer: 'https://kubernetes.default.svc',
  fluxNamespace: 'flux-system',
  fluxInterval: '5m',
} as const;
