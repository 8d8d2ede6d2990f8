import { Size } from 'cdk8s';
import * as k8s from '../../imports/k8s';
import { Construct } from 'constructs';
import { isDnsSubdomain, isLabelKey } from '../core/checks';
import { DEFAULTS } from '../core/defaults';
import type { ResolvedDiscourse } from '../model/props';
import { Problem, ValidationError, opt, show } from '../core/problems';
import { wholeMebibytes } from '../core/units';

/** TLS for the Ingress: an existing Secret, or one cert-manager issues. */
export class IngressTls {
  /** Use an existing `kubernetes.io/tls` Secret. */
  public static fromSecret(secretName: string): IngressTls {
    return new IngressTls(secretName);
  }

  /**
   * Let cert-manager issue the certificate into `<site>-tls`.
   * @param issuer name of the (Cluster)Issuer
   * @param kind `ClusterIssuer` or `Issuer`
   * @see https://cert-manager.io/docs/usage/ingress/
   */
  public static fromCertManager(issuer: string, kind: 'ClusterIssuer' | 'Issuer' = 'ClusterIssuer'): IngressTls {
    return new IngressTls(undefined, { issuer, kind });
  }

  private constructor(
    /** Explicit Secret name, if any. */
    public readonly secretName?: string,
    /** cert-manager issuer, if any. */
    public readonly certManager?: { readonly issuer: string; readonly kind: 'ClusterIssuer' | 'Issuer' },
  ) {}
}

/** Which controller's annotations to write. */
export type IngressController = 'ingress-nginx' | 'generic';

/** Options of the site's Ingress. */
export interface DiscourseIngressProps {
  /**
   * `spec.ingressClassName`.
   * @default 'nginx'
   */
  readonly className?: string;
  /**
   * Annotation dialect. `generic` writes none: pass your controller's in `annotations`.
   * @default 'ingress-nginx'
   */
  readonly controller?: IngressController;
  /** @default - plain HTTP */
  readonly tls?: IngressTls;
  /**
   * More hostnames served by the same site (e.g. `www.` aliases); all share TLS.
   * @default []
   */
  readonly extraHosts?: readonly string[];
  /**
   * Path prefixes routed to Discourse on every host (e.g. only `/` and `/uploads` when
   * another service owns the rest of a shared host).
   * @default ['/']
   */
  readonly paths?: readonly string[];
  /**
   * Sticky sessions by cookie with max-age 3600 s, as the charm asks the NGINX integrator.
   * @default true
   */
  readonly stickySessions?: boolean;
  /**
   * Largest request body (uploads); keep it above Discourse's `max_attachment_size_kb` to avoid 413s.
   * @default Size.mebibytes(20) (the charm's former max_body_size)
   */
  readonly maxBodySize?: Size;
  /**
   * Extra annotations, merged last (they win).
   * @default {}
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The charm's cookie max-age for sticky sessions (nginx-route `session_cookie_max_age`). */
export const SESSION_COOKIE_MAX_AGE = 3600;

/** Ingress options with defaults applied: what the construct builds from. */
export interface ResolvedIngress {
  /** Marks a value that went through {@link resolveIngress}. */
  readonly isResolved: true;
  readonly className: string;
  readonly controller: IngressController;
  readonly tls?: IngressTls;
  readonly extraHosts: readonly string[];
  readonly paths: readonly string[];
  readonly stickySessions: boolean;
  readonly maxBodySize: Size;
  readonly annotations: Readonly<Record<string, string>>;
}

/** Resolved Ingress options plus what the site contributes. */
export interface IngressInputs extends ResolvedIngress {
  readonly name: string;
  readonly host: string;
  readonly forceHttps: boolean;
}

/** What the Ingress needs of its site: the Discourse construct has all of it. */
export interface IngressTarget {
  readonly resolved: Pick<ResolvedDiscourse, 'name' | 'config'>;
  readonly names: { readonly service: string };
  readonly labels: Readonly<Record<string, string>>;
}

/** Validates Ingress options and applies their defaults; problems name `path` (`ingress.className`). */
export function resolveIngress(o: DiscourseIngressProps, path = 'ingress'): { resolved: ResolvedIngress; problems: Problem[] } {
  const problems = validateIngress(o, path);
  return {
    resolved: {
      isResolved: true,
      className: o.className ?? DEFAULTS.ingressClassName,
      controller: o.controller ?? DEFAULTS.ingressController,
      tls: o.tls,
      extraHosts: o.extraHosts ?? [],
      paths: o.paths ?? DEFAULTS.ingressPaths,
      stickySessions: o.stickySessions ?? DEFAULTS.stickySessions,
      maxBodySize: o.maxBodySize ?? DEFAULTS.maxBodySize,
      annotations: o.annotations ?? {},
    },
    problems,
  };
}

function validateIngress(o: DiscourseIngressProps, path: string): Problem[] {
  const problems: Problem[] = [];
  if (o.controller !== undefined && !['ingress-nginx', 'generic'].includes(o.controller))
    problems.push({ path: `${path}.controller`, message: `${show(o.controller)} is not one of ingress-nginx, generic`, fix: 'use one of them' });
  if (o.className !== undefined && !isDnsSubdomain(o.className))
    problems.push({ path: `${path}.className`, message: `${show(o.className)} is not an IngressClass name`, fix: 'use e.g. nginx' });
  for (const p of o.paths ?? []) {
    if (!/^\/[\w\-./~%]*$/.test(p))
      problems.push({ path: `${path}.paths`, message: `${show(p)} is not an absolute URL path`, fix: 'write paths such as / or /forum' });
  }
  if (o.paths !== undefined && o.paths.length === 0)
    problems.push({
      path: `${path}.paths`,
      message: 'is empty, so nothing would be routed',
      fix: `leave ${opt(`${path}.paths`)} out for ['/'], or list at least one path`,
    });
  for (const host of o.extraHosts ?? []) {
    if (!isDnsSubdomain(host.replace(/^\*\./, 'wildcard.')))
      problems.push({ path: `${path}.extraHosts`, message: `${show(host)} is not a hostname`, fix: 'write DNS names without scheme or path' });
  }
  if (o.tls?.secretName !== undefined && !isDnsSubdomain(o.tls.secretName))
    problems.push({ path: `${path}.tls`, message: `${show(o.tls.secretName)} is not a Secret name`, fix: 'name an existing kubernetes.io/tls Secret' });
  if (o.tls?.certManager !== undefined && !isDnsSubdomain(o.tls.certManager.issuer))
    problems.push({ path: `${path}.tls`, message: `${show(o.tls.certManager.issuer)} is not an issuer name`, fix: 'name a cert-manager (Cluster)Issuer' });
  if (o.maxBodySize !== undefined && wholeMebibytes(o.maxBodySize) === undefined)
    problems.push({ path: `${path}.maxBodySize`, message: 'must be a whole number of Mi, at least 1Mi', fix: 'use e.g. 100Mi' });
  for (const key of Object.keys(o.annotations ?? {})) {
    if (!isLabelKey(key))
      problems.push({ path: `${path}.annotations`, message: `${show(key)} is not a valid annotation key`, fix: 'use prefix/name with a DNS prefix' });
  }
  return problems;
}

/** The annotations for the main Ingress (pure; tested without synthesis). */
export function ingressAnnotations(i: IngressInputs): Record<string, string> {
  const out: Record<string, string> = {};
  if (i.tls?.certManager)
    out[i.tls.certManager.kind === 'ClusterIssuer' ? 'cert-manager.io/cluster-issuer' : 'cert-manager.io/issuer'] = i.tls.certManager.issuer;
  if (i.controller === 'ingress-nginx') {
    const nginx = 'nginx.ingress.kubernetes.io';
    out[`${nginx}/proxy-body-size`] = `${wholeMebibytes(i.maxBodySize)}m`;
    // Discourse holds long requests (uploads, message-bus polling); nginx's 60 s default cuts them.
    out[`${nginx}/proxy-read-timeout`] = '120';
    // Redirect only when there is a certificate, or the forum would loop on plain HTTP.
    if (i.tls) out[`${nginx}/force-ssl-redirect`] = String(i.forceHttps);
    if (i.stickySessions) {
      Object.assign(out, {
        [`${nginx}/affinity`]: 'cookie',
        [`${nginx}/affinity-mode`]: 'balanced',
        [`${nginx}/session-cookie-name`]: `${i.name.toUpperCase().replace(/-/g, '_')}_AFFINITY`,
        [`${nginx}/session-cookie-max-age`]: String(SESSION_COOKIE_MAX_AGE),
        [`${nginx}/session-cookie-samesite`]: 'Lax',
        [`${nginx}/session-cookie-change-on-failure`]: 'true',
      });
    }
  }
  return { ...out, ...i.annotations };
}

/**
 * The site's Ingress: `externalHostname` (and extra hosts) to the Service's
 * `http` port, TLS, sticky sessions, upload size. With ingress-nginx a second
 * Ingress refuses `/metrics` for every client, because Discourse's own check
 * trusts private source addresses and the controller is one.
 */
export class DiscourseIngress extends Construct {
  /** The main Ingress (also `node.defaultChild`). */
  public readonly ingress: k8s.KubeIngress;
  /** Every host served. */
  public readonly hosts: readonly string[];

  /**
   * @param site the Discourse construct (or its name, hostname, Service and labels)
   * @param props validated here; or a value {@link resolveIngress} returned without problems
   */
  constructor(scope: Construct, id: string, site: IngressTarget, props: DiscourseIngressProps | ResolvedIngress = {}) {
    super(scope, id);
    const options = isResolved(props) ? props : resolveOrThrow(props, `DiscourseIngress ${this.node.path}`);
    const r = site.resolved;
    const inputs: IngressInputs = { ...options, name: r.name, host: r.config.externalHostname, forceHttps: r.config.forceHttps };
    this.hosts = [inputs.host, ...options.extraHosts];
    const backend = { service: { name: site.names.service, port: { name: 'http' } } };
    const rules = (paths: readonly string[], pathType: string) =>
      this.hosts.map((host) => ({ host, http: { paths: paths.map((path) => ({ path, pathType, backend })) } }));
    const tlsSecret = options.tls ? (options.tls.secretName ?? `${r.name}-tls`) : undefined;
    const tls = tlsSecret ? [{ hosts: [...this.hosts], secretName: tlsSecret }] : undefined;
    this.ingress = new k8s.KubeIngress(this, 'Resource', {
      metadata: { name: r.name, labels: { ...site.labels }, annotations: ingressAnnotations(inputs) },
      spec: { ingressClassName: options.className, rules: rules(options.paths, 'Prefix'), ...(tls ? { tls } : {}) },
    });
    if (options.controller === 'ingress-nginx') {
      new k8s.KubeIngress(this, 'MetricsDeny', {
        metadata: {
          name: `${r.name}-deny-metrics`,
          labels: { ...site.labels },
          // Only loopback may pass: every real client gets 403 for /metrics.
          annotations: { 'nginx.ingress.kubernetes.io/whitelist-source-range': '127.0.0.1/32' },
        },
        spec: { ingressClassName: options.className, rules: rules(['/metrics'], 'Exact'), ...(tls ? { tls } : {}) },
      });
    }
  }
}

function isResolved(props: DiscourseIngressProps | ResolvedIngress): props is ResolvedIngress {
  return (props as Partial<ResolvedIngress>).isResolved === true;
}

function resolveOrThrow(props: DiscourseIngressProps, source: string): ResolvedIngress {
  const { resolved, problems } = resolveIngress(props);
  if (problems.length > 0) throw new ValidationError(source, problems);
  return resolved;
}
