import {
  CNPG_CLUSTER_DEFAULTS,
  CNPG_POSTGRES_IMAGE,
  CloudNativePgClusterProps,
  cnpgScheduleProblem,
  postgresMajorVersion,
  validateCnpgClusterProps,
} from '../lib/data/cnpg-cluster';
import { GitOpsProps, ResolvedGitOps, resolveGitOps } from '../lib/gitops/gitops';
import { RedisServerProps, redisConnectionOf, resolveRedisServer, validateRedisServerProps } from '../lib/data/redis-server';
import { ResolvedGatewayRoute, resolveGatewayRoute } from '../lib/routing/gateway-route';
import { ResolvedIngress, resolveIngress } from '../lib/routing/ingress';
import { ResolvedMonitoring, resolveMonitoring } from '../lib/observability/monitoring';
import { readFileSync } from 'fs';
import { DEFAULTS } from '../lib/core/defaults';
import { Problem, opt, translateProblem } from '../lib/core/problems';
import { ResolvedDiscourse } from '../lib/model/props';
import { resolveDiscourse } from '../lib/model/resolve-discourse';
import { SiteDescription, parseSite } from './site';
import { SITE_FILE_NAMES } from './site-keys';
import { withPositions } from './source-positions';

/** The PostgreSQL client of the charm's rock: Ubuntu 22.04's postgresql-client (discourse_rock/rockcraft.yaml). */
export const ROCK_PG_DUMP_MAJOR = 14;

/** A site with every value checked and defaulted: what SiteChart builds from, trusting it. */
export interface ResolvedSite {
  readonly file: string;
  readonly name: string;
  readonly namespace: string;
  readonly createNamespace: boolean;
  readonly discourse: ResolvedDiscourse;
  readonly ingress: ResolvedIngress | false;
  /** The Gateway API route, with `gateway:`. */
  readonly gateway?: ResolvedGatewayRoute;
  readonly monitoring: ResolvedMonitoring | false;
  readonly gitops?: ResolvedGitOps;
  /** The CloudNativePG Cluster the site creates (its name is the site's database cluster). */
  readonly postgresServer?: CloudNativePgClusterProps;
  /** The Valkey server the site runs (then its Redis). */
  readonly redisServer?: RedisServerProps;
}

/**
 * The one place a site is validated and defaulted: the Discourse props, the Ingress, the
 * monitoring and the GitOps options, each by its own resolve function, every problem of
 * the site at once (in prop paths; the caller shows them in the site file's words).
 */
export function resolveSite(site: SiteDescription): { resolved?: ResolvedSite; problems: Problem[] } {
  const dataProblems: Problem[] = [];
  const cluster = site.props.database?.preset === 'cloudnativepg' ? site.props.database.cluster : undefined;
  const postgresServer = site.postgresServer && cluster ? { ...site.postgresServer, site: site.name, clusterName: cluster } : undefined;
  if (postgresServer) {
    dataProblems.push(...validateCnpgClusterProps(postgresServer, 'postgresServer'));
    // The Cluster's own bootstrap creates the extensions in its database; a Database object
    // would declare another database (its defaults are CloudNativePG's "app").
    if (site.props.databaseExtensions?.via === 'cloudnativepg')
      dataProblems.push({
        path: 'databaseExtensions',
        message: `is not needed with ${opt('postgresServer')}: its bootstrap creates hstore and pg_trgm in the discourse database`,
        fix: `remove ${opt('databaseExtensions')}`,
      });
    // Discourse's backups run pg_dump from the image: the charm's rock (Ubuntu 22.04) has the
    // PostgreSQL 14 client, and pg_dump refuses to dump a server of a newer major version.
    const major = postgresMajorVersion(postgresServer.imageName ?? CNPG_POSTGRES_IMAGE);
    if (site.props.backups !== undefined && major !== undefined && major > ROCK_PG_DUMP_MAJOR)
      dataProblems.push({
        path: 'backups',
        message: `would fail: Discourse runs pg_dump ${ROCK_PG_DUMP_MAJOR} from the charm's rock, which refuses the PostgreSQL ${major} server of ${opt('postgresServer.imageName')}`,
        fix: `rely on the cluster's own backups (${opt('postgresServer.backup')}) and remove ${opt('backups')}, or run a PostgreSQL ${ROCK_PG_DUMP_MAJOR} image`,
      });
  }
  const redisServer = site.redisServer ? { ...site.redisServer, site: site.name } : undefined;
  if (redisServer) dataProblems.push(...validateRedisServerProps(redisServer, 'redisServer'));
  const gateway = site.gateway ? resolveGatewayRoute(site.gateway, site.namespace) : undefined;
  const withRedis = redisServer ? { ...site.props, redis: redisConnectionOf(redisServer) } : site.props;
  // With a Gateway, HTTP comes from its proxy pods (and, while keep_ingress keeps the
  // Ingress, from the ingress controller too), not from the ingress controller alone.
  const ingressNamespace = site.props.networkPolicy?.ingressNamespace ?? DEFAULTS.ingressNamespace;
  const props = gateway
    ? {
        ...withRedis,
        networkPolicy: {
          ...withRedis.networkPolicy,
          httpFrom: [gateway.resolved.dataPlane, ...(site.ingress ? [{ namespace: ingressNamespace }] : [])],
        },
      }
    : withRedis;
  const discourse = resolveDiscourse(props, site.name);
  const ingress = site.ingress ? resolveIngress(site.ingress) : undefined;
  // ingress-nginx counts the site's requests by Ingress (named as the site): the monitoring
  // uses that to see outages the app cannot report.
  const nginx = ingress && ingress.resolved.controller === 'ingress-nginx' ? discourse.resolved.name : undefined;
  // A cluster the site creates with backups gets alerts on them, on its schedule.
  const schedule = postgresServer?.backup ? (postgresServer.backup.schedule ?? CNPG_CLUSTER_DEFAULTS.schedule) : undefined;
  const databaseBackupSchedule = schedule !== undefined && cnpgScheduleProblem(schedule) === undefined ? schedule : undefined;
  // A Valkey server the site runs is watched by the site's monitoring: an exporter beside it, alerts in the site's rules.
  const redisServerName = redisServer && site.monitoring ? resolveRedisServer(redisServer).serviceName : undefined;
  const monitoring = site.monitoring
    ? resolveMonitoring({
        ingressName: nginx,
        // Envoy Gateway's proxies count the route's requests (no other implementation's metrics are assumed).
        envoyGatewayRouteName: gateway?.resolved.implementation === 'envoy-gateway' ? discourse.resolved.name : undefined,
        databaseBackupSchedule,
        redisServer: redisServerName,
        ...site.monitoring,
      })
    : undefined;
  const gitops = site.gitops ? resolveGitOps(site.gitops as GitOpsProps) : undefined;
  const problems = [
    ...dataProblems,
    ...discourse.problems,
    ...(ingress?.problems ?? []),
    ...(gateway?.problems ?? []),
    ...(monitoring?.problems ?? []),
    ...(gitops?.problems ?? []),
  ];
  if (problems.length > 0) return { problems };
  return {
    resolved: {
      file: site.file,
      name: site.name,
      namespace: site.namespace,
      createNamespace: site.createNamespace,
      discourse: discourse.resolved,
      ingress: ingress ? ingress.resolved : false,
      gateway: gateway?.resolved,
      monitoring: monitoring ? monitoring.resolved : false,
      gitops: gitops?.resolved,
      postgresServer,
      redisServer:
        redisServer && monitoring
          ? {
              ...redisServer,
              metrics: {
                monitoringNamespace: discourse.resolved.networkPolicy.monitoringNamespace,
                prometheusLabels: monitoring.resolved.prometheusLabels,
                interval: monitoring.resolved.interval,
                scrapeTimeout: monitoring.resolved.scrapeTimeout,
              },
            }
          : redisServer,
    },
    problems: [],
  };
}

/**
 * The resolve step's problems that the parse step has not already reported: a value the
 * reader refused (and dropped) is not reported again as missing or wrong.
 */
function newProblems(parsed: readonly Problem[], resolved: readonly Problem[]): Problem[] {
  const seen = parsed.map((p) => p.path);
  const related = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`) || a.startsWith(`${b}[`);
  return resolved.filter((p) => {
    const path = translateProblem(p, SITE_FILE_NAMES).path;
    return !seen.some((s) => related(path, s));
  });
}

/**
 * A site file's text → the resolved site: parsed for shape, then resolved once. Problems
 * of both steps come back together, each reported once; show them with SITE_FILE_NAMES.
 */
export function siteFromText(text: string, file: string): { site?: SiteDescription; resolved?: ResolvedSite; problems: Problem[] } {
  const { site, problems, source } = parseSite(text, file);
  if (!site) return { problems };
  const { resolved, problems: rules } = resolveSite(site);
  const located = withPositions(newProblems(problems, rules), source.doc, source.lines, (p) => translateProblem(p, SITE_FILE_NAMES).path);
  const all = [...problems, ...located];
  return { site, resolved: all.length === 0 ? resolved : undefined, problems: all };
}

/** A site file on disk → the resolved site (see siteFromText). */
export function loadSite(file: string): { site?: SiteDescription; resolved?: ResolvedSite; problems: Problem[] } {
  return siteFromText(readFileSync(file, 'utf8'), file);
}
