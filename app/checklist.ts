import { kubectlFirstSync, kubectlSync } from './kubectl-sync';
import { parse as parseYaml } from 'yaml';
import type { Manifest } from '../lib/core/manifest';
import type { ResolvedSite } from './resolve-site';

/**
 * The per-site "before the first sync" file, `dist/<site>/README.md`: a picture of the
 * site as it will run, the operators it needs, and every Secret it reads with a command
 * that creates it. Read from the rendered objects, so it lists what the YAML really
 * references, not what the docs hope it does. Markdown, not a Kubernetes object: the
 * kustomization does not list it.
 */

/** Something that must (or may) be installed in the cluster. */
export interface Prerequisite {
  readonly name: string;
  readonly required: boolean;
  /** Minimum version, as the docs say it. */
  readonly version: string;
  /** The site option that needs it. */
  readonly option: string;
  /** What happens without it, and how it shows. */
  readonly without: string;
  /** How to do without it. */
  readonly turnOff: string;
}

/** One key of a Secret the site reads. */
export interface SecretKeyUse {
  readonly key: string;
  /** The site option that names it. */
  readonly option: string;
  /** A shell expression or placeholder for its value: never a real value. */
  readonly value: string;
}

/** A Secret the site reads. */
export interface SecretUse {
  readonly name: string;
  readonly type: 'generic' | 'docker-registry' | 'tls';
  readonly keys: readonly SecretKeyUse[];
  /** `Kind/name` of the objects that read it. */
  readonly readBy: readonly string[];
  /** Who creates it, when it is not you. @default - you */
  readonly createdBy?: string;
}

/** The Gateway the site's HTTPRoute attaches to: what its owner must give the route. */
export function gatewayPrerequisites(site: ResolvedSite): Prerequisite[] {
  const g = site.gateway;
  if (!g) return [];
  const gateway = `Gateway ${g.gatewayNamespace}/${g.gatewayName}`;
  const hosts = [site.discourse.config.externalHostname, ...g.extraHosts].join(', ');
  const listeners = site.discourse.config.forceHttps
    ? `\`${g.sectionName}\` (HTTPS) and \`${g.httpSectionName}\` (HTTP, the redirect)`
    : `\`${g.sectionName}\` (HTTPS) and \`${g.httpSectionName}\` (HTTP)`;
  const crds: Record<string, string> = {
    standard: 'Gateway API CRDs (Standard channel) and an implementation',
    'envoy-gateway': 'Envoy Gateway (its CRDs, with BackendTrafficPolicy) and the Gateway API CRDs',
    'nginx-gateway-fabric': 'NGINX Gateway Fabric (its CRDs, with ClientSettingsPolicy) and the Gateway API CRDs',
  };
  const versions: Record<string, string> = { standard: 'Gateway API 1.1', 'envoy-gateway': '1.9 (Gateway API 1.6)', 'nginx-gateway-fabric': '2.0' };
  const out: Prerequisite[] = [
    {
      name: `${crds[g.implementation]}${g.experimental ? '; the Experimental-channel HTTPRoute CRD' : ''}`,
      required: true,
      version: versions[g.implementation],
      option: `gateway.implementation${g.experimental ? ', gateway.experimental' : ''}`,
      without: g.experimental
        ? 'the HTTPRoute cannot be applied without its CRD; with the Standard-channel CRD the API server drops sessionPersistence silently'
        : 'the HTTPRoute and policies cannot be applied: Argo CD reports a sync error, Flux a failed Kustomization',
      turnOff: 'ingress: (and no gateway:)',
    },
    {
      name: `${gateway} with listeners ${listeners} for ${hosts}`,
      required: true,
      version: '—',
      option: 'gateway.name, gateway.section_name, gateway.http_section_name',
      without: 'the route is not accepted (status Accepted false, NoMatchingParent or NoMatchingListenerHostname): the forum is not reachable',
      turnOff: 'gateway.section_name names an existing listener',
    },
    {
      name: `${gateway}'s listeners admit routes from namespace \`${site.namespace}\` (\`allowedRoutes.namespaces\`: All, or a Selector matching it)`,
      required: g.gatewayNamespace !== site.namespace,
      version: '—',
      option: 'gateway.namespace',
      without: "the route is not accepted (NotAllowedByListeners); the default (Same) admits only routes in the Gateway's own namespace",
      turnOff: '—',
    },
    {
      name: `a certificate for ${hosts} on the HTTPS listener: cert-manager with Gateway API support (\`config.enableGatewayAPI=true\`, the issuer annotation on the Gateway) or a kubernetes.io/tls Secret in \`certificateRefs\`; a ReferenceGrant in the Secret's namespace when it is not the Gateway's`,
      required: true,
      version: 'cert-manager 1.15',
      option: 'gateway.section_name',
      without: 'the HTTPS listener has no valid certificate (ResolvedRefs false, InvalidCertificateRef or RefNotPermitted) and serves no TLS for the forum',
      turnOff: '—',
    },
  ];
  if (g.implementation === 'standard')
    out.push({
      name: `the request body limit on ${gateway}: at least ${g.maxBodySize.toMebibytes()}Mi, set by its owner with the implementation's own policy (Envoy Gateway BackendTrafficPolicy requestBuffer.limit, NGINX Gateway Fabric ClientSettingsPolicy body.maxSize, Istio/Cilium/Traefik: their docs) — Gateway API has no standard field`,
      required: false,
      version: '—',
      option: 'gateway.max_body_size',
      without: "the implementation's default limit applies (NGINX 1m, Envoy none): larger uploads get 413, or are not limited",
      turnOff: 'gateway.implementation: envoy-gateway or nginx-gateway-fabric renders the policy',
    });
  if (g.stickySessions && !g.experimental && g.implementation !== 'envoy-gateway')
    out.push({
      name: 'no sticky sessions (Standard channel has none; open-source NGINX Gateway Fabric has no cookie stickiness)',
      required: false,
      version: '—',
      option: 'gateway.sticky_sessions',
      without: 'each request may reach another pod; Discourse keeps sessions in Redis, so users stay logged in (see the README)',
      turnOff: 'gateway.experimental: true (sessionPersistence), or implementation: envoy-gateway',
    });
  if (g.experimental && g.stickySessions && g.implementation === 'nginx-gateway-fabric')
    out.push({
      name: "NGINX Plus as NGINX Gateway Fabric's data plane (sessionPersistence)",
      required: false,
      version: '—',
      option: 'gateway.experimental',
      without: 'open-source NGINX ignores sessionPersistence: no stickiness, Discourse still works',
      turnOff: 'gateway.experimental: false',
    });
  return out;
}

/** What a site needs before its first sync. */
export interface Checklist {
  readonly site: string;
  readonly namespace: string;
  readonly prerequisites: readonly Prerequisite[];
  readonly secrets: readonly SecretUse[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

/** The site option an env variable's Secret comes from, and a safe value for it. */
function envOption(env: string, site: ResolvedSite): { option: string; value: string } {
  if (env.startsWith('DISCOURSE_DB_')) return { option: 'database', value: "'<from your PostgreSQL>'" };
  if (env === 'DISCOURSE_REDIS_PASSWORD')
    return site.redisServer
      ? { option: 'redis.create.password', value: '"$(openssl rand -hex 32)"' }
      : { option: 'redis.password', value: "'<your Redis password>'" };
  if (env === 'VALKEYCLI_AUTH') return { option: 'redis.create.password', value: '"$(openssl rand -hex 32)"' };
  // Discourse wants 64 random bytes, hex-encoded, as Rails' secret_key_base.
  if (env === 'DISCOURSE_SECRET_KEY_BASE') return { option: 'secret_key_base', value: '"$(openssl rand -hex 64)"' };
  if (env === 'DISCOURSE_SMTP_PASSWORD') return { option: 'config.smtp_password', value: "'<SMTP password>'" };
  if (env === 'DISCOURSE_S3_ACCESS_KEY_ID') return { option: 'config.s3_access_key_id', value: "'<S3 access key id>'" };
  if (env === 'DISCOURSE_S3_SECRET_ACCESS_KEY') return { option: 'config.s3_secret_access_key', value: "'<S3 secret access key>'" };
  if (env === 'DISCOURSE_OPENID_CONNECT_CLIENT_SECRET') return { option: 'oidc.client_secret', value: "'<client secret from your identity provider>'" };
  if (env === 'OP_PASSWORD') return { option: 'operations[].password', value: '"$(openssl rand -base64 24)"  # keep it: the user logs in with it' };
  if (env === 'PGUSER' || env === 'PGPASSWORD') return { option: 'database.extensions.superuser_secret', value: "'<PostgreSQL superuser credentials>'" };
  return { option: `extra_secret_env.${env}`, value: "'<value>'" };
}

/** Operator-managed Secrets: the connection Secrets the PostgreSQL operators write. */
function operatorSecret(name: string, site: ResolvedSite): string | undefined {
  const db = site.discourse.database;
  if (db.preset === 'cloudnativepg' && name === `${db.cluster}-app`) return 'CloudNativePG (the Cluster’s application Secret)';
  if (db.preset === 'crunchy-pgo' && name.startsWith(`${db.cluster}-pguser-`)) return 'Crunchy PGO (the user Secret)';
  if (db.preset === 'zalando' && name.endsWith('.credentials.postgresql.acid.zalan.do')) return "Zalando's postgres-operator";
  return undefined;
}

/** Every Secret the rendered objects read, with the option behind each key. */
export function secretUses(manifests: readonly Manifest[], site: ResolvedSite): SecretUse[] {
  const found = new Map<string, { type: SecretUse['type']; keys: Map<string, SecretKeyUse>; readBy: Set<string>; createdBy?: string }>();
  const use = (name: string, type: SecretUse['type'], reader: string, key?: SecretKeyUse, createdBy?: string) => {
    const entry = found.get(name) ?? { type, keys: new Map(), readBy: new Set(), createdBy };
    entry.readBy.add(reader);
    if (key && !entry.keys.has(key.key)) entry.keys.set(key.key, key);
    found.set(name, entry);
  };
  for (const m of manifests) {
    const reader = `${m.kind}/${m.metadata.name}`;
    const spec = obj(m.spec);
    const pod = obj(obj(spec.template).spec);
    for (const c of [...arr(pod.initContainers), ...arr(pod.containers)]) {
      for (const e of arr(c.env)) {
        const ref = obj(obj(e.valueFrom).secretKeyRef);
        if (typeof ref.name !== 'string') continue;
        const { option, value } = envOption(String(e.name), site);
        use(ref.name, 'generic', reader, { key: String(ref.key), option, value }, operatorSecret(ref.name, site));
      }
    }
    for (const p of arr(pod.imagePullSecrets))
      use(String(p.name), 'docker-registry', reader, { key: '.dockerconfigjson', option: 'image.pull_secrets', value: '' });
    if (m.kind === 'Ingress') {
      const certManager = Object.keys(obj(m.metadata.annotations)).some((k) => k.startsWith('cert-manager.io/'));
      for (const t of arr(spec.tls))
        use(
          String(t.secretName),
          'tls',
          reader,
          { key: 'tls.crt, tls.key', option: 'ingress.tls', value: '' },
          certManager ? 'cert-manager (from the Ingress annotation)' : undefined,
        );
    }
    const s3 = obj(obj(obj(spec.backup).barmanObjectStore).s3Credentials);
    for (const [field, option] of [
      ['accessKeyId', 'database.cloudnativepg.create.backup.access_key_id'],
      ['secretAccessKey', 'database.cloudnativepg.create.backup.secret_access_key'],
      ['region', 'database.cloudnativepg.create.backup.region'],
    ] as const) {
      const ref = obj(s3[field]);
      if (typeof ref.name === 'string') use(ref.name, 'generic', reader, { key: String(ref.key), option, value: `'<${field}>'` });
    }
  }
  return [...found.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, e]) => ({
      name,
      type: e.type,
      keys: [...e.keys.values()].sort((a, b) => (a.key < b.key ? -1 : 1)),
      readBy: [...e.readBy].sort(),
      ...(e.createdBy ? { createdBy: e.createdBy } : {}),
    }));
}

/** What the site's objects need installed, from what was rendered. */
export function prerequisites(manifests: readonly Manifest[], site: ResolvedSite): Prerequisite[] {
  const kinds = new Set(manifests.map((m) => m.kind));
  const annotated = (prefix: string) => manifests.some((m) => Object.keys(obj(m.metadata.annotations)).some((k) => k.startsWith(prefix)));
  const out: Prerequisite[] = [
    {
      name: 'Kubernetes with Pod Security Admission',
      required: true,
      version: '1.28',
      option: '—',
      without: 'the objects are written against the 1.28 API; the namespace enforces "restricted"',
      turnOff: '—',
    },
  ];
  if (site.discourse.imageRecipe)
    out.push({
      name: `the image with its plugins, built from \`dist/images/${site.name}/\` and pushed`,
      required: true,
      version: '—',
      option: 'image.plugins',
      without: 'pods and Jobs stay in ImagePullBackOff: no registry has the pinned digest yet',
      turnOff: 'remove image.plugins',
    });
  const claims = manifests.filter((m) => m.kind === 'PersistentVolumeClaim').map((m) => m.metadata.name);
  if (claims.length > 0)
    out.push({
      name: 'a default StorageClass (or the one the site names) with `allowVolumeExpansion: true`',
      required: false,
      version: '—',
      option: claims.map((c) => (c.endsWith('-backups') ? 'backups.volume.size' : 'uploads.size')).join(', '),
      without: `the claims (${claims.join(', ')}) bind, but growing one later is refused by the API server ("only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize")`,
      turnOff: 'uploads and backups in S3 (s3_enabled, backups.to: s3)',
    });
  const db = site.discourse.database;
  if (db.preset === 'cloudnativepg' || kinds.has('Database') || kinds.has('Cluster')) {
    // Database objects with extensions came in 1.26; our Cluster fields are 1.27's.
    const version = kinds.has('Cluster') ? '1.27' : kinds.has('Database') ? '1.26' : '1.22';
    out.push({
      name: 'CloudNativePG operator and CRDs',
      required: true,
      version,
      option: kinds.has('Cluster') ? 'database.cloudnativepg.create' : 'database.cloudnativepg',
      without: `no \`${db.cluster}-app\` Secret: pods stay in CreateContainerConfigError; Argo CD cannot sync the postgresql.cnpg.io objects`,
      turnOff: 'database.secret or database.host',
    });
  }
  if (db.preset === 'crunchy-pgo')
    out.push({
      name: 'Crunchy PGO',
      required: true,
      version: '5',
      option: 'database.crunchy_pgo',
      without: 'no user Secret: CreateContainerConfigError',
      turnOff: 'database.secret',
    });
  if (db.preset === 'zalando')
    out.push({
      name: "Zalando's postgres-operator",
      required: true,
      version: '1.10',
      option: 'database.zalando',
      without: 'no credentials Secret: CreateContainerConfigError',
      turnOff: 'database.secret',
    });
  if (kinds.has('ServiceMonitor') || kinds.has('PrometheusRule'))
    out.push({
      name: 'Prometheus Operator CRDs (monitoring.coreos.com/v1)',
      required: true,
      version: '0.60',
      option: 'monitoring',
      without: 'the ServiceMonitor and PrometheusRule cannot be applied: Argo CD reports a sync error, Flux a failed Kustomization',
      turnOff: 'monitoring: { enabled: false }',
    });
  if (kinds.has('PrometheusRule'))
    out.push({
      name:
        site.gateway?.implementation === 'envoy-gateway'
          ? "kube-state-metrics (and Envoy Gateway's proxy metrics, /stats/prometheus on port 19001; CloudNativePG PodMonitor)"
          : 'kube-state-metrics (and ingress-nginx metrics, CloudNativePG PodMonitor)',
      required: false,
      version: '2.x',
      option: 'monitoring.alerts',
      without:
        'the alerts built on them stay silent (no data, no alert; an unscraped CloudNativePG cluster too), except that without kube-state-metrics DiscourseTargetMissing cannot tell a starting pod, nor the ingress alerts a Recreate rollout, so those may page during rollouts',
      turnOff: 'monitoring.alerts: false',
    });
  const nginx = manifests.some(
    (m) => m.kind === 'Ingress' && Object.keys(obj(m.metadata.annotations)).some((k) => k.startsWith('nginx.ingress.kubernetes.io/')),
  );
  if (kinds.has('Ingress'))
    out.push({
      name: nginx ? 'ingress-nginx' : 'an Ingress controller',
      required: true,
      version: nginx ? '1.9' : '—',
      option: 'ingress',
      without: 'the Ingress gets no address: the forum is not reachable from outside the cluster',
      turnOff: 'ingress: { enabled: false }',
    });
  if (site.gateway) out.push(...gatewayPrerequisites(site));
  if (annotated('cert-manager.io/'))
    out.push({
      name: 'cert-manager with the named issuer',
      required: true,
      version: '1.12',
      option: 'ingress.tls.cert_manager_*',
      without: 'no certificate: the TLS Secret never appears and ingress-nginx serves its self-signed one',
      turnOff: 'ingress.tls.secret_name',
    });
  if (kinds.has('NetworkPolicy'))
    out.push({
      name: 'a CNI that enforces NetworkPolicy (Calico, Cilium, …)',
      required: false,
      version: '—',
      option: 'network_policy',
      without: 'the policies are accepted and silently not enforced',
      turnOff: 'network_policy: { enabled: false }',
    });
  if (kinds.has('ScaledObject'))
    out.push({
      name: 'KEDA',
      required: true,
      version: '2.10',
      option: 'sidekiq.autoscaling.queue_latency',
      without: 'the ScaledObject cannot be applied (Argo CD sync error, Flux Kustomization not ready) and Sidekiq keeps its current pod count',
      turnOff: 'leave out queue_latency (an HPA on CPU then)',
    });
  if (kinds.has('HorizontalPodAutoscaler'))
    out.push({
      name: 'metrics-server',
      required: true,
      version: '0.6',
      option: 'autoscaling',
      without: 'the autoscaler never scales (unknown CPU)',
      turnOff: 'replicas instead of autoscaling',
    });
  if (annotated('secret.reloader.stakater.com/'))
    out.push({
      name: 'Stakater Reloader',
      required: false,
      version: '1.0',
      option: 'reload_on_secret_change',
      without: 'a rotated Secret value reaches the pods only at their next restart',
      turnOff: 'reload_on_secret_change: false',
    });
  out.push(...observabilityPrerequisites(manifests));
  return out;
}

/** The labels an object carries besides the ones every object of the site has. */
function ownLabels(m: Manifest): Record<string, string> {
  return Object.fromEntries(Object.entries(obj(m.metadata.labels) as Record<string, string>).filter(([k]) => !k.startsWith('app.kubernetes.io/')));
}

const labelList = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

/** What the dashboards and the logs need: the sidecar or the Grafana Operator and its Grafana, the log store. */
function observabilityPrerequisites(manifests: readonly Manifest[]): Prerequisite[] {
  const out: Prerequisite[] = [];
  const sidecar = manifests.filter((m) => m.kind === 'ConfigMap' && m.metadata.name.includes('-dashboard-'));
  if (sidecar.length > 0) {
    const where = [...new Set(sidecar.map((m) => m.metadata.namespace ?? ''))].join(', ');
    out.push({
      name: `Grafana's dashboard sidecar, watching ConfigMaps labelled ${labelList(ownLabels(sidecar[0]))} in namespace ${where} (or in all namespaces)`,
      required: false,
      version: '—',
      option: 'monitoring.dashboards',
      without: 'the dashboard ConfigMaps are not loaded (kube-prometheus-stack: grafana.sidecar.dashboards.enabled, its label and searchNamespace)',
      turnOff: 'monitoring.dashboards: false',
    });
  }
  const operator = manifests.filter((m) => m.kind === 'GrafanaDashboard');
  if (operator.length > 0) {
    const spec = obj(operator[0].spec);
    const selector = labelList(obj(obj(spec.instanceSelector).matchLabels) as Record<string, string>);
    const namespace = operator[0].metadata.namespace ?? '';
    out.push(
      {
        name: 'the Grafana Operator and its CRDs (grafana.integreatly.org/v1beta1)',
        required: true,
        version: '5.18',
        option: 'monitoring.dashboards: grafana-operator',
        without: 'the GrafanaDashboards cannot be applied: Argo CD reports a sync error, Flux a failed Kustomization',
        turnOff: 'monitoring.dashboards: sidecar (or false)',
      },
      {
        name: `a \`Grafana\` resource labelled ${selector} ${spec.allowCrossNamespaceImport === true ? 'in any namespace (allowCrossNamespaceImport)' : `in namespace ${namespace}`}`,
        required: false,
        version: '—',
        option: 'monitoring.grafana_instance_selector',
        without: `no Grafana matches: the dashboards are not imported (the GrafanaDashboards' status shows no matching instances); label yours ${selector}${spec.allowCrossNamespaceImport === true ? '' : ', or set monitoring.grafana_allow_cross_namespace_import for one in another namespace'}`,
        turnOff: 'monitoring.dashboards: sidecar',
      },
    );
  }
  const locations = new Map<string, string>();
  for (const m of manifests.filter((x) => x.kind === 'ConfigMap' && x.metadata.name.endsWith('-pebble')))
    for (const text of Object.values(obj(m.data)))
      for (const target of Object.values(obj(obj(parseYaml(String(text)))['log-targets'])))
        locations.set(String(obj(target).type), String(obj(target).location));
  if (locations.has('loki'))
    out.push({
      name: `Loki, accepting pushes at ${locations.get('loki')} (and Pebble v1.6.0 or later in the image)`,
      required: false,
      version: '2.x',
      option: 'loki_url',
      without:
        'the logs are only in `kubectl logs`: Pebble keeps the lines it could not send in a bounded buffer and retries (labels site, namespace, role: web or sidekiq)',
      turnOff: 'leave out loki_url',
    });
  if (locations.has('opentelemetry'))
    out.push({
      name: `an OpenTelemetry collector (Grafana Alloy, the OpenTelemetry Collector) receiving OTLP/HTTP at ${locations.get('opentelemetry')} (and Pebble v1.25.0 or later in the image)`,
      required: false,
      version: 'OTLP/HTTP JSON',
      option: 'otlp_logs_url',
      without:
        'the logs are only in `kubectl logs`: Pebble keeps the lines it could not send in a bounded buffer and retries (attributes site, namespace, role; the pod name comes from the k8sattributes processor)',
      turnOff: 'leave out otlp_logs_url (or loki_url instead)',
    });
  return out;
}

export function siteChecklist(manifests: readonly Manifest[], site: ResolvedSite): Checklist {
  return { site: site.name, namespace: site.namespace, prerequisites: prerequisites(manifests, site), secrets: secretUses(manifests, site) };
}

/** The command that creates one Secret, with placeholders or random values, never a real value. */
export function createSecretCommand(s: SecretUse, namespace: string, registry: string): string {
  if (s.type === 'docker-registry')
    return `kubectl -n ${namespace} create secret docker-registry ${s.name} --docker-server=${registry} --docker-username='<user>' --docker-password='<token>'`;
  if (s.type === 'tls') return `kubectl -n ${namespace} create secret tls ${s.name} --cert=<path/to/tls.crt> --key=<path/to/tls.key>`;
  return [`kubectl -n ${namespace} create secret generic ${s.name}`, ...s.keys.map((k) => `  --from-literal=${k.key}=${k.value}`)].join(' \\\n');
}

const id = (text: string) => text.replace(/[^A-Za-z0-9]/g, '_');
const code = (text: string) => (text === '—' ? text : `\`${text}\``);

/** The site as it will run, for Mermaid (GitHub and GitLab draw it in a pull request). */
export function siteDiagram(manifests: readonly Manifest[], c: Checklist): string {
  const lines = ['flowchart LR'];
  const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
  const deployment = byKind('Deployment')[0];
  const hosts = byKind('Ingress')
    .filter((m) => !m.metadata.name.endsWith('-deny-metrics'))
    .flatMap((m) => arr(obj(m.spec).rules).map((r) => String(r.host)));
  const route = byKind('HTTPRoute').find((m) => !m.metadata.name.endsWith('-redirect'));
  if (route) {
    const names = (obj(route.spec).hostnames as string[] | undefined) ?? [];
    const parent = arr(obj(route.spec).parentRefs)[0] ?? {};
    lines.push(`  users(("users")) --> gateway["Gateway ${String(parent.namespace)}/${String(parent.name)}<br/>HTTPRoute ${names.join('<br/>')}"]`);
    lines.push(`  gateway --> service["Service ${deployment?.metadata.name ?? ''} :3000"]`);
  }
  if (hosts.length > 0) {
    lines.push(`  users(("users")) --> ingress["Ingress<br/>${hosts.join('<br/>')}"]`);
    lines.push(`  ingress --> service["Service ${deployment?.metadata.name ?? ''} :3000"]`);
  }
  lines.push(`  service --> pods`);
  lines.push(`  subgraph pods["Deployment ${deployment?.metadata.name ?? ''}: Pebble runs"]`);
  lines.push('    discourse["discourse: Unicorn + Sidekiq"]', '    logs["discourse-logs"]', '    trim["discourse-log-trim"]', '  end');
  const cluster = byKind('Cluster')[0];
  const redis = byKind('StatefulSet')[0];
  lines.push(`  discourse --> postgres[("PostgreSQL${cluster ? ` (CloudNativePG ${cluster.metadata.name}, created here)` : ''}")]`);
  lines.push(`  discourse --> redis[("Redis${redis ? ` (Valkey ${redis.metadata.name}, created here)` : ''}")]`);
  // The Jobs in Argo CD's order (sync waves); Flux and kubectl keep the order with init containers.
  const wave = (m: Manifest) => Number(obj(m.metadata.annotations)['argocd.argoproj.io/sync-wave'] ?? 0);
  // Within a wave the migration comes first: the others wait for it in an init container.
  const rank = (m: Manifest) => wave(m) * 2 + (/-(post-)?migrate-/.test(m.metadata.name) ? 0 : 1);
  const jobs = byKind('Job').sort((a, b) => rank(a) - rank(b) || (a.metadata.name < b.metadata.name ? -1 : 1));
  if (jobs.length > 0) {
    lines.push('  subgraph jobs["Jobs, in order"]');
    jobs.forEach((j) => lines.push(`    ${id(j.metadata.name)}["${j.metadata.name.replace(/-[0-9a-f]{8}$/, '')} (wave ${wave(j)})"]`));
    for (let i = 1; i < jobs.length; i++) lines.push(`    ${id(jobs[i - 1].metadata.name)} --> ${id(jobs[i].metadata.name)}`);
    lines.push('  end', '  jobs --> postgres');
  }
  for (const s of c.secrets) {
    lines.push(`  ${id(`secret ${s.name}`)}{{"Secret ${s.name}"}}`);
    const readers = new Set(
      s.readBy.map((r) =>
        r.startsWith('Deployment/')
          ? 'pods'
          : r.startsWith('Job/')
            ? 'jobs'
            : r.startsWith('Ingress/')
              ? 'ingress'
              : r.startsWith('Cluster/')
                ? 'postgres'
                : 'redis',
      ),
    );
    for (const r of [...readers].sort()) lines.push(`  ${id(`secret ${s.name}`)} -.-> ${r}`);
  }
  return lines.join('\n');
}

/** The whole `README.md` of a site folder. */
export function renderChecklist(manifests: readonly Manifest[], site: ResolvedSite, source: string): string {
  const c = siteChecklist(manifests, site);
  const registry = site.discourse.image.split('/')[0];
  const yours = c.secrets.filter((s) => !s.createdBy);
  const theirs = c.secrets.filter((s) => s.createdBy);
  const table = (rows: string[][]) => rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
  const out = [
    `# ${c.site}: before the first sync`,
    '',
    `Generated by discourse-cdk8s from ${source}; not a Kubernetes object (\`kustomization.yaml\` does not list it). Everything below is read from the rendered objects in this folder.`,
    '',
    '```mermaid',
    siteDiagram(manifests, c),
    '```',
    '',
    '## 1. What the cluster needs',
    '',
    table([
      ['what', 'required', 'minimum', 'for', 'without it', 'to do without'],
      ['---', '---', '---', '---', '---', '---'],
      ...c.prerequisites.map((p) => [p.name, p.required ? 'yes' : 'optional', p.version, code(p.option), p.without, code(p.turnOff)]),
    ]),
    '',
    `## 2. Secrets to create in namespace \`${c.namespace}\``,
    '',
    yours.length === 0
      ? 'None.'
      : `${yours.length} Secret${yours.length === 1 ? '' : 's'}. Replace each \`<...>\`; the \`openssl rand\` values are random, as Discourse wants them.`,
    '',
    ...yours.flatMap((s) => [
      `### \`${s.name}\``,
      '',
      table([['key', 'option', 'read by'], ['---', '---', '---'], ...s.keys.map((k) => [`\`${k.key}\``, `\`${k.option}\``, s.readBy.join(', ')])]),
      '',
      '```sh',
      createSecretCommand(s, c.namespace, registry),
      '```',
      '',
    ]),
    ...(theirs.length > 0
      ? [
          '### Created for you',
          '',
          table([
            ['Secret', 'keys', 'created by', 'read by'],
            ['---', '---', '---', '---'],
            ...theirs.map((s) => [`\`${s.name}\``, s.keys.map((k) => `\`${k.key}\``).join(', '), s.createdBy!, s.readBy.join(', ')]),
          ]),
          '',
        ]
      : []),
    '## 3. Sync',
    '',
    `Let Argo CD or Flux apply it (\`dist/gitops/\`), or with kubectl the first time:`,
    '',
    '```sh',
    kubectlFirstSync(`dist/${c.site}`),
    '```',
    '',
    'and every later time: the pre-deploy migration first, while the old pods still serve, then everything (Jobs and objects that left this folder are pruned; the allowlist leaves out every kind that holds data, which kubectl would otherwise delete, and names a custom kind only while this folder has one: when the last ServiceMonitor, PrometheusRule, GrafanaDashboard, ScaledObject or ScheduledBackup leaves, delete it by hand):',
    '',
    '```sh',
    kubectlSync(`dist/${c.site}`, c.site, c.namespace, manifests),
    '```',
    '',
    'docs/getting-started.md#before-the-first-sync explains each row above.',
    '',
  ];
  return out.join('\n');
}

/** One line for the synth's output. */
export function checklistSummary(manifests: readonly Manifest[], site: ResolvedSite, path: string): string {
  const c = siteChecklist(manifests, site);
  const yours = c.secrets.filter((s) => !s.createdBy).length;
  const required = c.prerequisites.filter((p) => p.required).length;
  return `${c.site}: ${yours} Secret${yours === 1 ? '' : 's'} to create, ${required} required and ${c.prerequisites.length - required} optional cluster prerequisites: see ${path}`;
}
