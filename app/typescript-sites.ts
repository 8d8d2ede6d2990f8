import type { CloudNativePgClusterProps } from '../lib/data/cnpg-cluster';
import type { GitOpsProps } from '../lib/gitops/gitops';
import type { DiscourseGatewayRouteProps } from '../lib/routing/gateway-route';
import type { DiscourseIngressProps } from '../lib/routing/ingress';
import type { DiscourseMonitoringProps } from '../lib/observability/monitoring';
import { formatProblems } from '../lib/core/problems';
import type { DiscourseProps } from '../lib/model/props';
import type { RedisServerProps } from '../lib/data/redis-server';
import { ResolvedSite, resolveSite } from './resolve-site';
import { SynthOptions, SynthResult, synthesizeResolved } from './synth';

/**
 * The site-file pipeline for TypeScript users: a site described in code gets what a site
 * file gets (one folder per site with its kustomization and checklist, the GitOps
 * objects, the transition check against `dist/`, `--check`), not cdk8s's single file.
 * Problems speak the TypeScript API's words (`smtpPort`), and every site's problems come
 * at once.
 */
export interface SiteProps {
  /** Site name: every object's base name and the `app.kubernetes.io/instance` label. */
  readonly name: string;
  /**
   * Namespace of every object.
   * @default - the site name
   */
  readonly namespace?: string;
  /**
   * Emit the Namespace with Pod Security "restricted" labels.
   * @default true
   */
  readonly createNamespace?: boolean;
  /** The Discourse construct's props (charm options, image, connections, pod settings). */
  readonly discourse: Omit<DiscourseProps, 'name'>;
  /**
   * The Ingress; `false` for none.
   * @default {} (an ingress-nginx Ingress on the hostname)
   */
  readonly ingress?: DiscourseIngressProps | false;
  /**
   * A Gateway API HTTPRoute on the cluster's Gateway; the site then has no Ingress unless
   * `ingress` is given too (both for one sync while moving, then drop `ingress`).
   * @default - none (the Ingress)
   */
  readonly gateway?: DiscourseGatewayRouteProps;
  /**
   * ServiceMonitor, alerts and dashboards; `false` for none.
   * @default {}
   */
  readonly monitoring?: DiscourseMonitoringProps | false;
  /**
   * Argo CD and Flux objects for the site.
   * @default - none
   */
  readonly gitops?: GitOpsProps;
  /**
   * A CloudNativePG Cluster to create; `discourse.database` must then be `PostgresConnection.fromCloudNativePg(<its name>)`.
   * @default - none
   */
  readonly postgresServer?: Omit<CloudNativePgClusterProps, 'site' | 'clusterName'>;
  /**
   * A Valkey server to run as the site's Redis (then leave `discourse.redis` out).
   * @default - none
   */
  readonly redisServer?: Omit<RedisServerProps, 'site'>;
  /**
   * Names the site in messages and in the generated files' headers.
   * @default 'TypeScript site <name>'
   */
  readonly source?: string;
}

/** Resolves every site once; returns the resolved sites or one error block per site that has problems. */
export function resolveSites(sites: readonly SiteProps[]): { resolved: ResolvedSite[]; errors: string[] } {
  const resolved: ResolvedSite[] = [];
  const errors: string[] = [];
  for (const s of sites) {
    const source = s.source ?? `TypeScript site ${s.name}`;
    const { resolved: site, problems } = resolveSite({
      file: source,
      name: s.name,
      namespace: s.namespace ?? s.name,
      createNamespace: s.createNamespace ?? true,
      // A Valkey server the site runs is its Redis: resolveSite sets the connection.
      props: { ...s.discourse, name: s.name, redis: s.discourse.redis ?? undefined! },
      ingress: s.gateway ? (s.ingress ?? false) : (s.ingress ?? {}),
      gateway: s.gateway ? { ...s.gateway, keepIngress: s.ingress !== undefined && s.ingress !== false } : undefined,
      monitoring: s.monitoring ?? {},
      gitops: s.gitops,
      postgresServer: s.postgresServer,
      redisServer: s.redisServer,
    });
    if (site) resolved.push(site);
    else errors.push(formatProblems(source, problems));
  }
  const names = resolved.map((r) => r.name);
  for (const name of names.filter((n, i) => names.indexOf(n) !== i)) errors.push(`two sites are named ${JSON.stringify(name)}: give each site a unique name`);
  return { resolved, errors };
}

/**
 * Renders TypeScript sites into `outdir` as `npm run synth` renders site files: atomically,
 * refusing a change Kubernetes would refuse over what is there (unless `allowReplace`), or
 * only comparing with `check`. Returns the exit code and the lines to print.
 */
export function synthesizeSites(sites: readonly SiteProps[], options: Omit<SynthOptions, 'sitesDir'>): SynthResult {
  const { resolved, errors } = resolveSites(sites);
  if (errors.length > 0) return { exitCode: 1, messages: [...errors, `synth failed; ${options.outdir}/ was not changed.`] };
  return synthesizeResolved(resolved, options);
}
