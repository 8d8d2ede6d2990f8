import { ApiObject, Chart, Size } from 'cdk8s';
import { Construct } from 'constructs';
import * as envoy from '../../imports/gateway.envoyproxy.io';
import * as gw from '../../imports/gateway.networking.k8s.io';
import * as ngf from '../../imports/gateway.nginx.org';
import { isDnsLabel, isDnsSubdomain, isLabelKey, isLabelValue } from '../core/checks';
import { DEFAULTS } from '../core/defaults';
import { HTTP_PORT } from '../model/environment';
import { IngressTarget, SESSION_COOKIE_MAX_AGE } from './ingress';
import { Problem, ValidationError, opt, show } from '../core/problems';
import { wholeMebibytes } from '../core/units';

/**
 * Which policy objects are rendered beside the Gateway API ones: `standard` renders only
 * Standard-channel objects (the body limit and stickiness are then the Gateway owner's);
 * `envoy-gateway` adds a BackendTrafficPolicy, `nginx-gateway-fabric` a ClientSettingsPolicy.
 */
export type GatewayImplementation = 'standard' | 'envoy-gateway' | 'nginx-gateway-fabric';

export const GATEWAY_IMPLEMENTATIONS: readonly GatewayImplementation[] = ['standard', 'envoy-gateway', 'nginx-gateway-fabric'];

/** The Gateway's data-plane pods: the NetworkPolicy admits HTTP from them. */
export interface GatewayDataPlane {
  /** Namespace the proxy pods run in. */
  readonly namespace: string;
  /** Labels that select the proxy pods in that namespace. */
  readonly podLabels: Readonly<Record<string, string>>;
}

/** Options of the site's HTTPRoute on an existing Gateway. */
export interface DiscourseGatewayRouteProps {
  /** Name of the Gateway the route attaches to (its owner runs it, with its listeners and certificates). */
  readonly gatewayName: string;
  /**
   * Namespace of that Gateway.
   * @default - the site's namespace
   */
  readonly gatewayNamespace?: string;
  /**
   * The Gateway's HTTPS listener (`spec.listeners[].name`) the forum is served on.
   * @default 'https'
   * @see https://gateway-api.sigs.k8s.io/reference/spec/#parentreference
   */
  readonly sectionName?: string;
  /**
   * The Gateway's plain-HTTP listener: with `force_https` the redirect route attaches
   * there, without it the forum is served there too.
   * @default 'http'
   */
  readonly httpSectionName?: string;
  /**
   * Which implementation's policies to render beside the route.
   * @default 'standard'
   */
  readonly implementation?: GatewayImplementation;
  /**
   * Use the Experimental channel: the forum rule gets `sessionPersistence` (a cookie,
   * max-age 3600 s). Needs the Experimental HTTPRoute CRD, and an implementation that
   * supports it (Envoy Gateway does; NGINX Gateway Fabric only with NGINX Plus).
   * @default false
   * @see https://gateway-api.sigs.k8s.io/geps/gep-1619/
   */
  readonly experimental?: boolean;
  /**
   * More hostnames served by the same site; the Gateway needs a listener for each.
   * @default []
   */
  readonly extraHosts?: readonly string[];
  /**
   * Sticky sessions by cookie (max-age 3600 s): `sessionPersistence` with `experimental`,
   * else Envoy Gateway's consistent-hash cookie; none with `standard` or open-source NGINX
   * Gateway Fabric (Discourse works without; see the README).
   * @default true
   */
  readonly stickySessions?: boolean;
  /**
   * Largest request body (uploads), rendered as the implementation's policy; with
   * `standard`, the Gateway owner sets it (the per-site checklist says how).
   * @default Size.mebibytes(20)
   */
  readonly maxBodySize?: Size;
  /**
   * Namespace of the Gateway's proxy pods, for the NetworkPolicy.
   * @default - `envoy-gateway-system` for Envoy Gateway, else the Gateway's namespace
   */
  readonly dataPlaneNamespace?: string;
  /**
   * Labels of the Gateway's proxy pods, for the NetworkPolicy.
   * @default - Envoy Gateway's `gateway.envoyproxy.io/owning-gateway-{name,namespace}`, else
   *   `gateway.networking.k8s.io/gateway-name: <gateway>` (GEP-1762; NGINX Gateway Fabric sets it)
   */
  readonly dataPlaneLabels?: Readonly<Record<string, string>>;
}

/** Gateway route options with defaults applied: what the construct builds from. */
export interface ResolvedGatewayRoute {
  /** Marks a value that went through {@link resolveGatewayRoute}. */
  readonly isResolvedGatewayRoute: true;
  readonly gatewayName: string;
  readonly gatewayNamespace: string;
  readonly sectionName: string;
  readonly httpSectionName: string;
  readonly implementation: GatewayImplementation;
  readonly experimental: boolean;
  readonly extraHosts: readonly string[];
  readonly stickySessions: boolean;
  readonly maxBodySize: Size;
  readonly dataPlane: GatewayDataPlane;
}

/** The request timeout of the forum rule: long polls (25 s) and slow uploads must not be cut (Envoy's own default is 15 s). */
export const GATEWAY_REQUEST_TIMEOUT = '300s';

/** The rule that serves nothing: requests for these paths never reach the app. */
export const REFUSED_PATH_PREFIXES: readonly string[] = ['/metrics'];

/** Each implementation's data-plane pods of a Gateway, by default. */
export function defaultDataPlane(implementation: GatewayImplementation, gatewayName: string, gatewayNamespace: string): GatewayDataPlane {
  if (implementation === 'envoy-gateway')
    // Envoy Gateway runs the proxies in its own namespace and labels them with their Gateway.
    return {
      namespace: DEFAULTS.envoyGatewayNamespace,
      podLabels: { 'gateway.envoyproxy.io/owning-gateway-name': gatewayName, 'gateway.envoyproxy.io/owning-gateway-namespace': gatewayNamespace },
    };
  // NGINX Gateway Fabric 2.x (and GEP-1762's in-cluster deployments) run them beside the Gateway.
  return { namespace: gatewayNamespace, podLabels: { 'gateway.networking.k8s.io/gateway-name': gatewayName } };
}

/** Validates the route options and applies their defaults; problems name `path` (`gateway.sectionName`). */
export function resolveGatewayRoute(
  o: DiscourseGatewayRouteProps,
  siteNamespace: string,
  path = 'gateway',
): { resolved: ResolvedGatewayRoute; problems: Problem[] } {
  const problems = validateGatewayRoute(o, path);
  const implementation = o.implementation ?? DEFAULTS.gatewayImplementation;
  const gatewayNamespace = o.gatewayNamespace ?? siteNamespace;
  const dataPlane = defaultDataPlane(implementation, o.gatewayName, gatewayNamespace);
  return {
    resolved: {
      isResolvedGatewayRoute: true,
      gatewayName: o.gatewayName,
      gatewayNamespace,
      sectionName: o.sectionName ?? DEFAULTS.gatewaySectionName,
      httpSectionName: o.httpSectionName ?? DEFAULTS.gatewayHttpSectionName,
      implementation,
      experimental: o.experimental ?? false,
      extraHosts: o.extraHosts ?? [],
      stickySessions: o.stickySessions ?? DEFAULTS.stickySessions,
      maxBodySize: o.maxBodySize ?? DEFAULTS.maxBodySize,
      dataPlane: { namespace: o.dataPlaneNamespace ?? dataPlane.namespace, podLabels: o.dataPlaneLabels ?? dataPlane.podLabels },
    },
    problems,
  };
}

function validateGatewayRoute(o: DiscourseGatewayRouteProps, path: string): Problem[] {
  const problems: Problem[] = [];
  if (typeof o.gatewayName !== 'string' || o.gatewayName === '')
    problems.push({ path: `${path}.gatewayName`, message: 'is required', fix: 'name the Gateway the route attaches to (kubectl get gateways -A)' });
  else if (!isDnsSubdomain(o.gatewayName))
    problems.push({ path: `${path}.gatewayName`, message: `${show(o.gatewayName)} is not a Gateway name`, fix: 'use the Gateway metadata.name' });
  for (const key of ['gatewayNamespace', 'dataPlaneNamespace'] as const) {
    const value = o[key];
    if (value !== undefined && !isDnsLabel(value))
      problems.push({ path: `${path}.${key}`, message: `${show(value)} is not a namespace name`, fix: 'use a DNS label' });
  }
  for (const key of ['sectionName', 'httpSectionName'] as const) {
    const value = o[key];
    if (value !== undefined && !isDnsSubdomain(value))
      problems.push({ path: `${path}.${key}`, message: `${show(value)} is not a listener name`, fix: 'use the name of one of the Gateway spec.listeners' });
  }
  if (o.sectionName !== undefined && o.sectionName === (o.httpSectionName ?? DEFAULTS.gatewayHttpSectionName))
    problems.push({
      path: `${path}.httpSectionName`,
      message: `is the same listener as ${opt(`${path}.sectionName`)} (${show(o.sectionName)})`,
      fix: 'name the HTTPS listener in sectionName and the plain-HTTP one in httpSectionName',
    });
  if (o.implementation !== undefined && !GATEWAY_IMPLEMENTATIONS.includes(o.implementation))
    problems.push({
      path: `${path}.implementation`,
      message: `${show(o.implementation)} is not one of ${GATEWAY_IMPLEMENTATIONS.join(', ')}`,
      fix: 'use standard for any other implementation',
    });
  for (const host of o.extraHosts ?? []) {
    if (!isDnsSubdomain(host.replace(/^\*\./, 'wildcard.')))
      problems.push({ path: `${path}.extraHosts`, message: `${show(host)} is not a hostname`, fix: 'write DNS names without scheme or path' });
  }
  if ((o.extraHosts ?? []).length > 15)
    problems.push({ path: `${path}.extraHosts`, message: 'has more than 15 names; an HTTPRoute holds at most 16 hostnames', fix: 'split the hosts' });
  if (o.maxBodySize !== undefined && wholeMebibytes(o.maxBodySize) === undefined)
    problems.push({ path: `${path}.maxBodySize`, message: 'must be a whole number of Mi, at least 1Mi', fix: 'use e.g. 100Mi' });
  else if (o.maxBodySize !== undefined && (wholeMebibytes(o.maxBodySize) ?? 0) > 9999)
    problems.push({ path: `${path}.maxBodySize`, message: 'is above 9999Mi, the largest NGINX Gateway Fabric accepts', fix: 'use at most 9999Mi' });
  for (const [key, value] of Object.entries(o.dataPlaneLabels ?? {})) {
    if (!isLabelKey(key) || !isLabelValue(value))
      problems.push({
        path: `${path}.dataPlaneLabels`,
        message: `${show(`${key}: ${value}`)} is not a label`,
        fix: 'write the labels of the Gateway proxy pods',
      });
  }
  if (o.dataPlaneLabels !== undefined && Object.keys(o.dataPlaneLabels).length === 0)
    problems.push({
      path: `${path}.dataPlaneLabels`,
      message: 'is empty, which would admit every pod of the data-plane namespace',
      fix: 'list the proxy pods labels, or leave it out for the implementation default',
    });
  return problems;
}

/**
 * Gateway API's Experimental `HTTPRouteRule.sessionPersistence` (GEP-1619), as v1.6 has it
 * (no idleTimeout).
 */
export interface SessionPersistence {
  readonly sessionName: string;
  readonly type: 'Cookie' | 'Header';
  readonly absoluteTimeout: string;
  readonly cookieConfig: { readonly lifetimeType: 'Permanent' | 'Session' };
}

/** The cookie name of sticky sessions (the Ingress's `session-cookie-name`). */
export function affinityCookieName(site: string): string {
  return `${site.toUpperCase().replace(/-/g, '_')}_AFFINITY`;
}

/** The spec of the site's main HTTPRoute (pure; tested without synthesis). */
export function forumRouteSpec(
  o: ResolvedGatewayRoute,
  site: { readonly host: string; readonly service: string; readonly forceHttps: boolean },
): gw.HttpRouteSpec {
  const parent = (sectionName: string) => ({
    group: 'gateway.networking.k8s.io',
    kind: 'Gateway',
    name: o.gatewayName,
    namespace: o.gatewayNamespace,
    sectionName,
  });
  return {
    // Without force_https the forum answers on both listeners, as the Ingress does.
    parentRefs: site.forceHttps ? [parent(o.sectionName)] : [parent(o.sectionName), parent(o.httpSectionName)],
    hostnames: [site.host, ...o.extraHosts],
    rules: [
      {
        name: 'forum',
        matches: [{ path: { type: gw.HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: '/' } }],
        backendRefs: [{ group: '', kind: 'Service', name: site.service, port: HTTP_PORT }],
        timeouts: { request: GATEWAY_REQUEST_TIMEOUT },
      },
      // A longer prefix wins (Gateway API's match precedence): these paths go to no
      // backend, so the implementation answers them itself (500, or 404) and the app's
      // collector, which trusts the proxy's private address, is never asked.
      ...REFUSED_PATH_PREFIXES.map((value) => ({
        name: `refuse-${value.replace(/^\//, '')}`,
        matches: [{ path: { type: gw.HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value } }],
      })),
    ],
  };
}

/**
 * The site's Gateway API route: an HTTPRoute for `externalHostname` (and extra hosts) to
 * the Service's `http` port on the Gateway's HTTPS listener, `/metrics` refused by a rule
 * with no backend; with `forceHttps` a second HTTPRoute on the HTTP listener answers 301
 * to https. Envoy Gateway gets a BackendTrafficPolicy (body limit, sticky cookie), NGINX
 * Gateway Fabric a ClientSettingsPolicy (body limit).
 */
export class DiscourseGatewayRoute extends Construct {
  /**
   * The forum's HTTPRoute (also `node.defaultChild`): a plain ApiObject, because the
   * generated Standard-channel class would drop the Experimental `sessionPersistence`.
   */
  public readonly route: ApiObject;
  /** The HTTP→HTTPS redirect route, with `forceHttps`. */
  public readonly redirect?: gw.HttpRoute;
  /** Every host served. */
  public readonly hosts: readonly string[];
  /** The resolved options. */
  public readonly options: ResolvedGatewayRoute;

  /**
   * @param site the Discourse construct (or its name, hostname, Service and labels)
   * @param props validated here; or a value {@link resolveGatewayRoute} returned without problems
   */
  constructor(scope: Construct, id: string, site: IngressTarget, props: DiscourseGatewayRouteProps | ResolvedGatewayRoute) {
    super(scope, id);
    const options = isResolved(props) ? props : resolveOrThrow(props, Chart.of(this).namespace ?? 'default', `DiscourseGatewayRoute ${this.node.path}`);
    this.options = options;
    const r = site.resolved;
    const name = r.name;
    const labels = { ...site.labels };
    const spec = forumRouteSpec(options, { host: r.config.externalHostname, service: site.names.service, forceHttps: r.config.forceHttps });
    this.hosts = spec.hostnames ?? [];
    // The spec is typed by the Standard channel (and serialized by its generated mapping);
    // the Experimental channel adds only sessionPersistence, on the forum rule.
    const standard = gw.toJson_HttpRouteSpec(spec)!;
    const sessionPersistence: SessionPersistence | undefined =
      options.experimental && options.stickySessions
        ? { sessionName: affinityCookieName(name), type: 'Cookie', absoluteTimeout: `${SESSION_COOKIE_MAX_AGE}s`, cookieConfig: { lifetimeType: 'Permanent' } }
        : undefined;
    const [forum, ...refused] = standard.rules as Record<string, unknown>[];
    this.route = new ApiObject(this, 'Resource', {
      ...gw.HttpRoute.GVK,
      metadata: { name, labels },
      spec: sessionPersistence ? { ...standard, rules: [{ ...forum, sessionPersistence }, ...refused] } : standard,
    });
    if (r.config.forceHttps) {
      this.redirect = new gw.HttpRoute(this, 'Redirect', {
        metadata: { name: `${name}-redirect`, labels },
        spec: {
          parentRefs: [
            {
              group: 'gateway.networking.k8s.io',
              kind: 'Gateway',
              name: options.gatewayName,
              namespace: options.gatewayNamespace,
              sectionName: options.httpSectionName,
            },
          ],
          hostnames: [...this.hosts],
          rules: [
            {
              name: 'to-https',
              filters: [
                {
                  type: gw.HttpRouteSpecRulesFiltersType.REQUEST_REDIRECT,
                  requestRedirect: {
                    scheme: gw.HttpRouteSpecRulesFiltersRequestRedirectScheme.HTTPS,
                    statusCode: gw.HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_301,
                  },
                },
              ],
            },
          ],
        },
      });
    }
    const target = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name };
    const mebibytes = wholeMebibytes(options.maxBodySize) ?? 1;
    if (options.implementation === 'envoy-gateway') {
      new envoy.BackendTrafficPolicy(this, 'BackendTrafficPolicy', {
        metadata: { name, labels },
        spec: {
          targetRefs: [target],
          // Envoy buffers the body up to the limit and answers 413 above it.
          requestBuffer: { limit: envoy.BackendTrafficPolicySpecRequestBufferLimit.fromString(`${mebibytes}Mi`) },
          ...(options.stickySessions && !options.experimental
            ? {
                loadBalancer: {
                  type: envoy.BackendTrafficPolicySpecLoadBalancerType.CONSISTENT_HASH,
                  consistentHash: {
                    type: envoy.BackendTrafficPolicySpecLoadBalancerConsistentHashType.COOKIE,
                    cookie: { name: affinityCookieName(name), ttl: `${SESSION_COOKIE_MAX_AGE}s`, attributes: { SameSite: 'Lax' } },
                  },
                },
              }
            : {}),
        },
      });
    }
    if (options.implementation === 'nginx-gateway-fabric') {
      new ngf.ClientSettingsPolicy(this, 'ClientSettingsPolicy', {
        metadata: { name, labels },
        spec: { targetRef: target, body: { maxSize: `${mebibytes}m` } },
      });
    }
  }
}

function isResolved(props: DiscourseGatewayRouteProps | ResolvedGatewayRoute): props is ResolvedGatewayRoute {
  return (props as Partial<ResolvedGatewayRoute>).isResolvedGatewayRoute === true;
}

function resolveOrThrow(props: DiscourseGatewayRouteProps, namespace: string, source: string): ResolvedGatewayRoute {
  const { resolved, problems } = resolveGatewayRoute(props, namespace);
  if (problems.length > 0) throw new ValidationError(source, problems);
  return resolved;
}
