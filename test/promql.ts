import { parser } from '@prometheus-io/lezer-promql';
import {
  CONTAINER,
  GatewayRouteMetricsOptions,
  IngressMetricsOptions,
  cnpgPodRegex,
  envoyGatewayClusterName,
  q,
  sitePodRegex,
} from '../lib/observability/alerts';
import { PodRole, ROLE_CONTAINER, podRoles, rolePodRegex } from '../lib/observability/dashboards';
import { lookupSeries } from '../lib/observability/metric-names';
import { redisMetricsJob } from '../lib/model/redis';

/**
 * Test-only PromQL checks (the parser is a dev dependency; synthesis never loads it).
 */

// ---------------------------------------------------------------------------
// PromQL checking, on the syntax tree of @prometheus-io/lezer-promql (the
// grammar the Prometheus UI uses). The grammar is syntactic only, so the
// semantic rules Prometheus would apply at rule-load time that matter here
// (range vectors only inside range functions) are checked on the tree too,
// along with rules about this plugin's metrics.

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** A label matcher operator. */
export type MatchOp = '=' | '!=' | '=~' | '!~';

/** One `label op "value"` in a selector. */
export interface LabelMatcher {
  readonly label: string;
  readonly op: MatchOp;
  readonly value: string;
}

/** A vector selector: `metric{matchers}`. */
export interface PromqlSelector {
  /** The metric name, from the identifier, a quoted name or `__name__="..."`; undefined if the selector has none. */
  readonly metric: string | undefined;
  /** Matchers other than on `__name__`. */
  readonly matchers: readonly LabelMatcher[];
  /** Offset of the selector in the expression. */
  readonly at: number;
}

/** Where the PromQL expressions of a site must point. */
export interface QueryScope {
  readonly job: string;
  readonly namespace: string;
  /** Deployment name, for metrics about pods from other exporters. */
  readonly instance: string;
  /** CloudNativePG Cluster of the site's database, for cnpg_* series. */
  readonly cnpgCluster?: string;
  /** The site's Ingress, for ingress-nginx series. */
  readonly ingress?: IngressMetricsOptions;
  /** The site's HTTPRoute on Envoy Gateway, for Envoy's series. */
  readonly gatewayRoute?: GatewayRouteMetricsOptions;
  /** Where Sidekiq runs: separate Sidekiq pods are the site's pods too. */
  readonly sidekiqMode?: 'embedded' | 'separate';
  /** The Valkey server the site runs, for redis_* series. */
  readonly redisServer?: string;
  /** Only the pods of one role (a dashboard row's): their container, and their pod names for kube-state-metrics/cAdvisor series. */
  readonly role?: PodRole;
}

/** The matchers that scope a series of the given kind to the site; a string when the scope lacks what that needs. */
function requiredMatchers(kind: string, scope: QueryScope): [string, MatchOp, string][] | string {
  const ns: [string, MatchOp, string] = ['namespace', '=', scope.namespace];
  if (scope.role !== undefined) {
    const container: [string, MatchOp, string] = ['container', '=', ROLE_CONTAINER[scope.role]];
    const pods: [string, MatchOp, string] = ['pod', '=~', rolePodRegex(scope.instance, scope.role)];
    if (kind === 'target') return [['job', '=', scope.job], ns, container];
    if (kind === 'pod') return [ns, pods, container];
    if (kind === 'pod-init' || kind === 'pod-object') return [ns, pods];
  }
  switch (kind) {
    case 'target':
      return [['job', '=', scope.job], ns];
    case 'pod':
      return [
        ns,
        ['pod', '=~', sitePodRegex(scope.instance, scope.sidekiqMode)],
        scope.sidekiqMode === 'separate' ? ['container', '=~', `${CONTAINER}|sidekiq`] : ['container', '=', CONTAINER],
      ];
    case 'pod-init':
    case 'pod-object':
      return [ns, ['pod', '=~', sitePodRegex(scope.instance, scope.sidekiqMode)]];
    case 'ingress':
      return scope.ingress
        ? [
            [scope.ingress.namespaceLabel, '=', scope.namespace],
            ['ingress', '=', scope.ingress.name],
          ]
        : 'the site has no ingress-nginx Ingress';
    case 'gateway-route':
      return scope.gatewayRoute
        ? [['envoy_cluster_name', '=', envoyGatewayClusterName(scope.namespace, scope.gatewayRoute.name)]]
        : 'the site has no Envoy Gateway route';
    case 'cnpg-cluster':
      return scope.cnpgCluster ? [ns, ['cluster', '=', scope.cnpgCluster]] : 'the site has no CloudNativePG cluster';
    case 'redis-server':
      return scope.redisServer ? [ns, ['job', '=', redisMetricsJob(scope.redisServer)]] : 'the site runs no Valkey server';
    default:
      return scope.cnpgCluster ? [ns, ['pod', '=~', cnpgPodRegex(scope.cnpgCluster)]] : 'the site has no CloudNativePG cluster';
  }
}

/** Functions whose argument is a range vector, and at which argument position. */
const RANGE_ARGUMENT: ReadonlyMap<string, number> = new Map([
  ...['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'changes', 'resets', 'predict_linear', 'double_exponential_smoothing', 'holt_winters'].map(
    (f) => [f, 0] as const,
  ),
  ...['avg', 'min', 'max', 'sum', 'count', 'stddev', 'stdvar', 'last', 'first', 'present', 'absent', 'mad'].map((f) => [`${f}_over_time`, 0] as const),
  ['quantile_over_time', 1],
]);

/** Range functions that make sense on a counter (they handle resets). */
const COUNTER_FUNCTIONS: ReadonlySet<string> = new Set(['rate', 'irate', 'increase', 'resets']);

/** Nodes that wrap a range vector without changing its type. */
const TRANSPARENT = new Set(['OffsetExpr', 'StepInvariantExpr']);

function parse(expr: string): { top: SyntaxNode; errors: string[] } {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  tree.iterate({
    enter: (node) => {
      if (!node.type.isError) return;
      const near = expr.slice(node.from, node.from + 12);
      errors.push(`syntax error at offset ${node.from}: ${near === '' ? 'unexpected end of expression' : `unexpected ${q(near)}`}`);
    },
  });
  return { top: tree.topNode, errors };
}

/**
 * Syntax errors of a PromQL expression (one per error node in the Lezer
 * tree); [] when it parses. Also rejects string escapes Prometheus' Go
 * unquoting refuses (e.g. `"\."`, a regex escape written without doubling
 * the backslash), which the grammar lets through.
 */
export function promqlSyntaxErrors(expr: string): string[] {
  const { top, errors } = parse(expr);
  if (errors.length > 0) return errors;
  const out: string[] = [];
  for (const literal of descendants(top, 'StringLiteral')) {
    const raw = expr.slice(literal.from, literal.to);
    if (unquote(raw) === undefined) out.push(`invalid string literal ${raw} at offset ${literal.from}`);
  }
  return out;
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) out.push(child);
  return out;
}

function descendants(node: SyntaxNode, name: string): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const walk = (n: SyntaxNode): void => {
    if (n.name === name) out.push(n);
    for (const child of children(n)) walk(child);
  };
  walk(node);
  return out;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"' };

/** Go's strconv.Unquote, as Prometheus applies it to string literals; undefined for an invalid literal. */
function unquote(literal: string): string | undefined {
  const quote = literal[0];
  if (literal.length < 2 || literal[literal.length - 1] !== quote) return undefined;
  const body = literal.slice(1, -1);
  if (quote === '`') return body;
  let ok = true;
  const value = body.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|[0-7]{3}|[\s\S])/g, (_, esc: string) => {
    if (esc.length === 1) {
      const simple = SIMPLE_ESCAPES[esc];
      if (simple === undefined || (esc === "'" && quote === '"') || (esc === '"' && quote === "'")) ok = false;
      return simple ?? '';
    }
    const code = /^[0-7]{3}$/.test(esc) ? parseInt(esc, 8) : parseInt(esc.slice(1), 16);
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) ok = false;
    return ok ? String.fromCodePoint(code) : '';
  });
  return ok ? value : undefined;
}

function text(expr: string, node: SyntaxNode | null): string {
  return node ? expr.slice(node.from, node.to) : '';
}

function stringValue(expr: string, node: SyntaxNode | null): string {
  return unquote(text(expr, node)) ?? '';
}

function readSelector(expr: string, node: SyntaxNode): PromqlSelector {
  let metric: string | undefined;
  const matchers: LabelMatcher[] = [];
  for (const child of children(node)) {
    if (child.name === 'Identifier' || child.name === 'MetricName') metric = text(expr, child);
    if (child.name !== 'LabelMatchers') continue;
    for (const m of children(child)) {
      if (m.name === 'QuotedLabelName') {
        metric = stringValue(expr, m.getChild('StringLiteral'));
      } else if (m.name === 'UnquotedLabelMatcher' || m.name === 'QuotedLabelMatcher') {
        const quoted = m.getChild('QuotedLabelName');
        const label = quoted ? stringValue(expr, quoted.getChild('StringLiteral')) : text(expr, m.getChild('LabelName'));
        matchers.push({ label, op: text(expr, m.getChild('MatchOp')) as MatchOp, value: stringValue(expr, m.getChild('StringLiteral')) });
      }
    }
  }
  const byName = matchers.find((m) => m.label === '__name__' && m.op === '=');
  return { metric: metric ?? byName?.value, matchers: matchers.filter((m) => m.label !== '__name__'), at: node.from };
}

/** Every vector selector in the expression, in order. Throws on a syntax error. */
export function promqlSelectors(expr: string): PromqlSelector[] {
  const { top, errors } = parse(expr);
  if (errors.length > 0) throw new Error(`cannot parse ${q(expr)}: ${errors.join('; ')}`);
  return descendants(top, 'VectorSelector').map((node) => readSelector(expr, node));
}

/**
 * The metric (series) names an expression selects, as written
 * (`discourse_http_requests_duration_seconds_bucket`), each once, in order
 * of appearance. Read from the syntax tree, so label names, function names
 * and strings are never mistaken for metrics. Throws on a syntax error.
 */
export function metricsReferenced(expr: string): string[] {
  const names = promqlSelectors(expr)
    .map((s) => s.metric)
    .filter((m): m is string => m !== undefined);
  return [...new Set(names)];
}

function functionName(expr: string, call: SyntaxNode): string {
  return text(expr, call.getChild('FunctionIdentifier'));
}

function callArguments(call: SyntaxNode): SyntaxNode[] {
  const body = call.getChild('FunctionCallBody');
  return body ? children(body) : [];
}

/** The range function whose argument `node` (a MatrixSelector or SubqueryExpr) is, if any. */
function enclosingRangeFunction(expr: string, node: SyntaxNode): string | undefined {
  let arg = node;
  while (arg.parent && TRANSPARENT.has(arg.parent.name)) arg = arg.parent;
  const body = arg.parent;
  const call = body?.parent;
  if (!body || body.name !== 'FunctionCallBody' || !call || call.name !== 'FunctionCall') return undefined;
  const name = functionName(expr, call);
  const position = RANGE_ARGUMENT.get(name);
  if (position === undefined) return undefined;
  return children(body)[position]?.from === arg.from ? name : undefined;
}

function unwrap(node: SyntaxNode): SyntaxNode {
  let n = node;
  while (TRANSPARENT.has(n.name) && n.firstChild) n = n.firstChild;
  return n;
}

/** `by` labels of an aggregation ('by'), the dropped ones ('without'), or none (drops all). */
function grouping(expr: string, agg: SyntaxNode): { mode: 'by' | 'without' | 'none'; labels: string[] } {
  const modifier = agg.getChild('AggregateModifier');
  if (!modifier) return { mode: 'none', labels: [] };
  const labels = children(modifier.getChild('GroupingLabels') ?? modifier)
    .filter((n) => n.name === 'LabelName' || n.name === 'QuotedLabelName')
    .map((n) => (n.name === 'LabelName' ? text(expr, n) : stringValue(expr, n.getChild('StringLiteral'))));
  return { mode: modifier.getChild('Without') ? 'without' : 'by', labels };
}

/** Problems with a `_bucket` selector: it must feed histogram_quantile with `le` kept by every aggregation on the way. */
function bucketProblems(expr: string, selector: SyntaxNode, metric: string): string[] {
  const problems: string[] = [];
  for (let n = selector.parent; n; n = n.parent) {
    if (n.name === 'AggregateExpr') {
      const g = grouping(expr, n);
      const keepsLe = g.mode === 'by' ? g.labels.includes('le') : g.mode === 'without' && !g.labels.includes('le');
      if (!keepsLe) problems.push(`${metric}: an aggregation drops le before histogram_quantile`);
    }
    if (n.name === 'FunctionCall' && functionName(expr, n) === 'histogram_quantile') return problems;
  }
  return [...problems, `${metric} is used outside histogram_quantile()`];
}

function regexProblem(value: string): string | undefined {
  try {
    new RegExp(`^(?:${value})$`);
    return undefined;
  } catch (err) {
    return String(err);
  }
}

/**
 * Everything wrong with one of a site's PromQL expressions; [] when it is
 * fine. Checks, in this order of importance:
 * - it parses (syntax, string escapes);
 * - range selectors appear only as the argument of a range function, and
 *   range functions get one;
 * - every selector names a metric the plugin emits at the pinned commit (or
 *   an allowed external metric), in one of its exposed series;
 * - every matcher label exists on that series (exporter labels, `quantile`
 *   on summaries, `le` on buckets, ServiceMonitor target labels);
 * - the selector is scoped to the site: `job` and `namespace` for series
 *   scraped from the Discourse pods; `namespace`, `pod=~<sitePodRegex>` and
 *   `container="discourse"` for kube-state-metrics and cAdvisor series
 *   (without `container` for init-container ones); the Ingress and its
 *   namespace label for ingress-nginx; `namespace` and the cluster (or its
 *   instance pods) for CloudNativePG;
 * - counters (and `_sum`/`_count`/`_bucket`) only inside rate(), irate(),
 *   increase() or resets(), and those only over counters;
 * - a summary selector picks one quantile; buckets feed histogram_quantile()
 *   with `le` kept;
 * - every `by (...)` label exists on some series inside the aggregation (or
 *   is made by label_replace/label_join there).
 */
export function checkQuery(expr: string, scope: QueryScope): string[] {
  const syntax = promqlSyntaxErrors(expr);
  if (syntax.length > 0) return syntax;
  const { top } = parse(expr);
  const problems: string[] = [];

  for (const node of descendants(top, 'MatrixSelector')) {
    if (!enclosingRangeFunction(expr, node)) problems.push(`range selector ${q(text(expr, node))} is not the argument of a range function`);
  }
  for (const call of descendants(top, 'FunctionCall')) {
    const name = functionName(expr, call);
    const position = RANGE_ARGUMENT.get(name);
    if (position === undefined) continue;
    const arg = callArguments(call)[position];
    const inner = arg ? unwrap(arg) : undefined;
    if (!inner || (inner.name !== 'MatrixSelector' && inner.name !== 'SubqueryExpr')) problems.push(`${name}() needs a range vector argument`);
  }
  for (const call of descendants(top, 'FunctionCall')) {
    if (functionName(expr, call) !== 'histogram_quantile') continue;
    const buckets = descendants(call, 'VectorSelector').filter((n) => lookupSeries(readSelector(expr, n).metric ?? '')?.part === 'bucket');
    if (buckets.length === 0) problems.push('histogram_quantile() over no _bucket series');
  }

  for (const node of descendants(top, 'VectorSelector')) {
    const sel = readSelector(expr, node);
    if (sel.metric === undefined) {
      problems.push(`selector at offset ${sel.at} has no metric name`);
      continue;
    }
    const series = lookupSeries(sel.metric);
    if (!series) {
      problems.push(`${sel.metric} is not a series of a known metric (discourse-prometheus at the pinned commit, or an allowed external metric)`);
      continue;
    }
    for (const m of sel.matchers) {
      if (!series.labels.includes(m.label)) problems.push(`${sel.metric} has no label ${m.label} (it has: ${series.labels.join(', ')})`);
      const bad = m.op === '=~' || m.op === '!~' ? regexProblem(m.value) : undefined;
      if (bad) problems.push(`${sel.metric}: bad regex for ${m.label}: ${bad}`);
    }
    const equal = (label: string): string | undefined => sel.matchers.find((m) => m.label === label && m.op === '=')?.value;
    const required = requiredMatchers(series.scope, scope);
    if (typeof required === 'string') {
      problems.push(`${sel.metric} is not about this site: ${required}`);
      continue;
    }
    const unscoped = (matchers: [string, MatchOp, string][]): string[] =>
      matchers.flatMap(([label, op, value]) => {
        const on = sel.matchers.filter((m) => m.label === label);
        // A second, different equality matcher on the label would select nothing at all.
        const scoped = on.some((m) => m.op === op && m.value === value) && !on.some((m) => m.op === '=' && m.value !== value);
        return scoped ? [] : [`${sel.metric} is not scoped to the site: needs ${label}${op}${q(value)} and no other value`];
      });
    // Narrower is fine: a selector scoped to one role's pods (a dashboard row's) is about the site too.
    const narrowed = scope.role === undefined ? podRoles(scope.sidekiqMode).map((role) => requiredMatchers(series.scope, { ...scope, role })) : [];
    const missing = unscoped(required);
    if (missing.length > 0 && !narrowed.some((r) => typeof r !== 'string' && unscoped(r).length === 0)) problems.push(...missing);
    if (series.part === 'quantile' && equal('quantile') === undefined) {
      problems.push(`${sel.metric} is a summary: select one quantile with quantile="..." (quantiles cannot be summed or averaged)`);
    }
    const matrix = node.parent?.name === 'MatrixSelector' ? node.parent : undefined;
    const fn = matrix ? enclosingRangeFunction(expr, matrix) : undefined;
    if (series.monotonic && !(fn && COUNTER_FUNCTIONS.has(fn))) problems.push(`${sel.metric} only ever goes up: query it through rate() or increase()`);
    if (!series.monotonic && fn && COUNTER_FUNCTIONS.has(fn)) problems.push(`${fn}() over ${sel.metric}, which is not a counter`);
    if (series.part === 'bucket') problems.push(...bucketProblems(expr, node, sel.metric));
  }

  for (const agg of descendants(top, 'AggregateExpr')) {
    const g = grouping(expr, agg);
    if (g.mode !== 'by') continue;
    const body = agg.getChild('FunctionCallBody');
    if (!body) continue;
    const available = new Set<string>();
    for (const node of descendants(body, 'VectorSelector')) {
      for (const label of lookupSeries(readSelector(expr, node).metric ?? '')?.labels ?? []) available.add(label);
    }
    for (const call of descendants(body, 'FunctionCall')) {
      const name = functionName(expr, call);
      if (name === 'label_replace' || name === 'label_join') available.add(stringValue(expr, callArguments(call)[1] ?? null));
    }
    for (const label of g.labels) {
      if (!available.has(label)) problems.push(`by (${label}): no series inside the aggregation has that label`);
    }
  }
  return [...new Set(problems)];
}
