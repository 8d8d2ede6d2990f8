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
  // Monitoring.
  prometheusLabels: { release: 'kube-prometheus-stack' } as Readonly<Record<string, string>>,
  dashboardLabels: { grafana_dashboard: '1' } as Readonly<Record<string, string>>,
  scrapeInterval: '30s',
  scrapeTimeout: '10s',
  ingressNamespaceLabel: 'exported_namespace' as 'exported_namespace' | 'namespace',
  // GitOps.
  gitRevision: 'main',
  argocdNamespace: 'argocd',
  argocdProject: 'default',
  argocdDestinationServer: 'https://kubernetes.default.svc',
  fluxNamespace: 'flux-system',
  fluxInterval: '5m',
} as const;
