import { parse, stringify } from 'yaml';
import { parseGoDuration } from '../core/units';
import { emitYaml } from '../core/yaml-emit';

/**
 * A typed model of Pebble's layer format (canonical/pebble
 * docs/reference/layer-specification.md, v1.32), its validation as Pebble does it
 * at boot, and its rendering to YAML. Pure: no cdk8s here.
 */

export type Override = 'merge' | 'replace';
export type ServiceAction = 'restart' | 'shutdown' | 'failure-shutdown' | 'success-shutdown' | 'ignore';
export type CheckLevel = 'alive' | 'ready';

/** A service entry of a layer (`services.<name>`), with Pebble's own defaults. */
export interface PebbleService {
  /** How this entry combines with the same service in earlier layers. */
  readonly override: Override;
  /** @default - none */
  readonly summary?: string;
  /** @default - none */
  readonly description?: string;
  /** Command line, split like a shell would but run without one (no `$VAR` expansion). */
  readonly command: string;
  /** @default 'disabled' */
  readonly startup?: 'enabled' | 'disabled';
  /** Services to start after. @default [] */
  readonly after?: readonly string[];
  /** Services to start before. @default [] */
  readonly before?: readonly string[];
  /** Services that must also run. @default [] */
  readonly requires?: readonly string[];
  /** Added to the environment Pebble itself has. @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default - Pebble's own user */
  readonly user?: string;
  /** @default - Pebble's own uid */
  readonly userId?: number;
  /** @default - Pebble's own group */
  readonly group?: string;
  /** @default - Pebble's own gid */
  readonly groupId?: number;
  /** @default - Pebble's working directory */
  readonly workingDir?: string;
  /** @default 'restart' */
  readonly onSuccess?: ServiceAction;
  /** @default 'restart' */
  readonly onFailure?: ServiceAction;
  /** Action per failing check. @default {} (ignore) */
  readonly onCheckFailure?: Readonly<Record<string, ServiceAction>>;
  /** @default '500ms' */
  readonly backoffDelay?: string;
  /** @default 2.0 */
  readonly backoffFactor?: number;
  /** @default '30s' */
  readonly backoffLimit?: string;
  /** SIGTERM → SIGKILL grace. @default '5s' */
  readonly killDelay?: string;
}

/** A check entry of a layer (`checks.<name>`): exactly one of http, tcp, exec. */
export interface PebbleCheck {
  /** How this entry combines with the same check in earlier layers. */
  readonly override: Override;
  /** Used by `/v1/health?level=`; `ready` implies `alive`. @default - none (counts for neither level) */
  readonly level?: CheckLevel;
  /** @default 'enabled' */
  readonly startup?: 'enabled' | 'disabled';
  /** @default '10s' */
  readonly period?: string;
  /** Capped to the period. @default '3s' */
  readonly timeout?: string;
  /** Consecutive failures before the check is down. @default 3 */
  readonly threshold?: number;
  /** @default - not an HTTP check */
  readonly http?: { readonly url: string; readonly headers?: Readonly<Record<string, string>> };
  /** @default - not a TCP check */
  readonly tcp?: { readonly port: number; readonly host?: string };
  /** @default - not an exec check */
  readonly exec?: {
    readonly command: string;
    readonly serviceContext?: string;
    readonly environment?: Readonly<Record<string, string>>;
    readonly user?: string;
    readonly workingDir?: string;
  };
}

/** A log forwarding entry of a layer (`log-targets.<name>`). */
export interface PebbleLogTarget {
  /** How this entry combines with the same target in earlier layers. */
  readonly override: Override;
  readonly type: 'loki' | 'opentelemetry' | 'syslog';
  /** Push URL. */
  readonly location: string;
  /** Service names, `all`, or `-name` to exclude. */
  readonly services: readonly string[];
  /** Labels on every entry (values may use `$ENV`). @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

/** A Pebble layer file. */
export interface PebbleLayer {
  /** @default - none */
  readonly summary?: string;
  /** @default - none */
  readonly description?: string;
  /** @default {} */
  readonly services?: Readonly<Record<string, PebbleService>>;
  /** @default {} */
  readonly checks?: Readonly<Record<string, PebbleCheck>>;
  /** @default {} */
  readonly logTargets?: Readonly<Record<string, PebbleLogTarget>>;
}

/** Pebble's layer file name rule (internals/plan/plan.go). */
export const LAYER_FILE_NAME = /^([0-9]{3})-([a-z](?:-?[a-z0-9]){2,})\.yaml$/;

const ON_SUCCESS: readonly ServiceAction[] = ['restart', 'shutdown', 'failure-shutdown', 'ignore'];
const ON_FAILURE: readonly ServiceAction[] = ['restart', 'shutdown', 'success-shutdown', 'ignore'];
const CHECK_ACTIONS: readonly ServiceAction[] = ['restart', 'shutdown', 'success-shutdown', 'ignore'];

/**
 * Everything Pebble would reject when loading this layer from `fileName`, as messages.
 * Mirrors `Layer.Validate`/`Plan.Validate`: names, override, commands, check types,
 * levels, durations, backoff, dependencies and cycles, log targets.
 */
export function validateLayer(layer: PebbleLayer, fileName: string): string[] {
  const errors: string[] = [];
  const m = LAYER_FILE_NAME.exec(fileName);
  if (!m) errors.push(`invalid layer filename: ${JSON.stringify(fileName)} (must look like "123-some-label.yaml")`);
  else if (m[2].startsWith('pebble-')) errors.push(`layer label ${JSON.stringify(m[2])} must not start with "pebble-"`);
  const services = layer.services ?? {};
  const checks = layer.checks ?? {};
  const duration = (where: string, value: string | undefined, nonZero = false) => {
    if (value === undefined) return;
    const ms = parseGoDuration(value);
    if (ms === undefined) errors.push(`${where}: ${JSON.stringify(value)} is not a duration (e.g. 500ms, 30s, 1m)`);
    else if (nonZero && ms === 0) errors.push(`${where} must not be zero`);
  };
  for (const [name, svc] of Object.entries(services)) {
    const at = `service ${JSON.stringify(name)}`;
    if (name === '' || name === 'pebble' || name.startsWith('-') || ['all', 'default', 'none'].includes(name)) {
      errors.push(`${at}: reserved or invalid service name`);
    }
    if (svc.override !== 'merge' && svc.override !== 'replace') errors.push(`layer must define "override" for ${at}`);
    if (!svc.command || svc.command.trim() === '') errors.push(`plan must define "command" for ${at}`);
    // A variable outside an explicit `sh -c` script would reach the program literally.
    if (svc.command && !/^(\/bin\/|\/usr\/bin\/)?(ba)?sh -c /.test(svc.command) && /\$\{?[A-Za-z_]/.test(svc.command)) {
      errors.push(`${at}: command ${JSON.stringify(svc.command)} uses a variable; Pebble runs commands without a shell and does not expand them`);
    }
    if (svc.startup !== undefined && svc.startup !== 'enabled' && svc.startup !== 'disabled') errors.push(`${at}: startup must be enabled or disabled`);
    if (svc.onSuccess && !ON_SUCCESS.includes(svc.onSuccess)) errors.push(`${at}: invalid on-success action ${JSON.stringify(svc.onSuccess)}`);
    if (svc.onFailure && !ON_FAILURE.includes(svc.onFailure)) errors.push(`${at}: invalid on-failure action ${JSON.stringify(svc.onFailure)}`);
    for (const [check, action] of Object.entries(svc.onCheckFailure ?? {})) {
      if (!CHECK_ACTIONS.includes(action)) errors.push(`${at}: invalid on-check-failure action ${JSON.stringify(action)} for check ${JSON.stringify(check)}`);
      if (!(check in checks)) errors.push(`${at}: on-check-failure refers to unknown check ${JSON.stringify(check)}`);
    }
    duration(`${at} backoff-delay`, svc.backoffDelay);
    duration(`${at} backoff-limit`, svc.backoffLimit);
    duration(`${at} kill-delay`, svc.killDelay);
    if (svc.backoffFactor !== undefined && !(svc.backoffFactor >= 1)) errors.push(`${at}: backoff-factor must be 1.0 or greater, not ${svc.backoffFactor}`);
    for (const dep of [...(svc.after ?? []), ...(svc.before ?? []), ...(svc.requires ?? [])]) {
      if (!(dep in services)) errors.push(`${at}: depends on unknown service ${JSON.stringify(dep)}`);
    }
    if (svc.environment) {
      for (const key of Object.keys(svc.environment)) {
        if (key === '' || key.includes('=')) errors.push(`${at}: invalid environment variable name ${JSON.stringify(key)}`);
      }
    }
  }
  const cycle = findCycle(services);
  if (cycle) errors.push(`services in before/after loop: ${cycle.join(', ')}`);
  for (const [name, check] of Object.entries(checks)) {
    const at = `check ${JSON.stringify(name)}`;
    if (check.override !== 'merge' && check.override !== 'replace') errors.push(`layer must define "override" for ${at}`);
    if (check.level !== undefined && check.level !== 'alive' && check.level !== 'ready')
      errors.push(`${at}: level must be alive or ready, not ${JSON.stringify(check.level)}`);
    const kinds = [check.http, check.tcp, check.exec].filter((k) => k !== undefined).length;
    if (kinds !== 1) errors.push(`${at}: must specify exactly one of "http", "tcp", or "exec"`);
    duration(`${at} period`, check.period, true);
    duration(`${at} timeout`, check.timeout, true);
    const period = parseGoDuration(check.period ?? '10s');
    const timeout = parseGoDuration(check.timeout ?? '3s');
    if (period !== undefined && timeout !== undefined && timeout > period)
      errors.push(`${at}: timeout ${check.timeout ?? '3s'} is longer than period ${check.period ?? '10s'}`);
    if (check.threshold !== undefined && !(Number.isInteger(check.threshold) && check.threshold >= 1))
      errors.push(`${at}: threshold must be a positive integer`);
    if (check.http && !/^https?:\/\//.test(check.http.url)) errors.push(`${at}: http url ${JSON.stringify(check.http.url)} must be http(s)`);
    if (check.tcp && !(Number.isInteger(check.tcp.port) && check.tcp.port > 0 && check.tcp.port < 65536)) errors.push(`${at}: tcp port must be 1-65535`);
    if (check.exec?.serviceContext && !(check.exec.serviceContext in services)) errors.push(`${at}: service-context refers to unknown service`);
  }
  for (const [name, target] of Object.entries(layer.logTargets ?? {})) {
    const at = `log target ${JSON.stringify(name)}`;
    if (target.override !== 'merge' && target.override !== 'replace') errors.push(`layer must define "override" for ${at}`);
    if (!['loki', 'opentelemetry', 'syslog'].includes(target.type)) errors.push(`${at}: type must be loki, opentelemetry or syslog`);
    if (!/^https?:\/\//.test(target.location)) errors.push(`${at}: location ${JSON.stringify(target.location)} must be an http(s) URL`);
    for (const svc of target.services) {
      const bare = svc.replace(/^-/, '');
      if (bare !== 'all' && !(bare in services)) errors.push(`${at}: unknown service ${JSON.stringify(svc)}`);
    }
    for (const label of Object.keys(target.labels ?? {})) {
      if (label.startsWith('pebble_')) errors.push(`${at}: label ${JSON.stringify(label)} must not start with "pebble_"`);
    }
  }
  return errors;
}

function findCycle(services: Readonly<Record<string, PebbleService>>): string[] | undefined {
  const edges = new Map<string, string[]>();
  const add = (from: string, to: string) => edges.set(from, [...(edges.get(from) ?? []), to]);
  for (const [name, svc] of Object.entries(services)) {
    for (const a of svc.after ?? []) add(a, name);
    for (const b of svc.before ?? []) add(name, b);
  }
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, trail: string[]): string[] | undefined => {
    if (state.get(node) === 'open') return [...trail.slice(trail.indexOf(node)), node];
    if (state.get(node) === 'done') return undefined;
    state.set(node, 'open');
    for (const next of edges.get(node) ?? []) {
      const found = visit(next, [...trail, node]);
      if (found) return found;
    }
    state.set(node, 'done');
    return undefined;
  };
  for (const name of Object.keys(services).sort()) {
    const found = visit(name, []);
    if (found) return found;
  }
  return undefined;
}

const KEBAB: Record<string, string> = {
  logTargets: 'log-targets',
  onSuccess: 'on-success',
  onFailure: 'on-failure',
  onCheckFailure: 'on-check-failure',
  backoffDelay: 'backoff-delay',
  backoffFactor: 'backoff-factor',
  backoffLimit: 'backoff-limit',
  killDelay: 'kill-delay',
  userId: 'user-id',
  groupId: 'group-id',
  workingDir: 'working-dir',
  serviceContext: 'service-context',
};

/** Keys that hold user-named maps: their keys are data, not schema, and keep their spelling. */
const NAMED_MAPS = new Set(['services', 'checks', 'log-targets', 'environment', 'on-check-failure', 'labels', 'headers']);

function toPebbleKeys(value: unknown, parentIsNamedMap = false): unknown {
  if (Array.isArray(value)) return value.map((v) => toPebbleKeys(v));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const name = parentIsNamedMap ? key : (KEBAB[key] ?? key);
    out[name] = toPebbleKeys(v, !parentIsNamedMap && NAMED_MAPS.has(name));
  }
  return out;
}

/** The keys Pebble's layer format knows at each level (layer-specification.md, v1.32). */
const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  layer: ['summary', 'description', 'services', 'checks', 'log-targets', 'pairing'],
  service: [
    'override',
    'summary',
    'description',
    'startup',
    'command',
    'after',
    'before',
    'requires',
    'environment',
    'user',
    'user-id',
    'group',
    'group-id',
    'working-dir',
    'on-success',
    'on-failure',
    'on-check-failure',
    'backoff-delay',
    'backoff-factor',
    'backoff-limit',
    'kill-delay',
  ],
  check: ['override', 'level', 'startup', 'period', 'timeout', 'threshold', 'http', 'tcp', 'exec'],
  http: ['url', 'headers'],
  tcp: ['port', 'host'],
  exec: ['command', 'service-context', 'environment', 'user', 'user-id', 'group', 'group-id', 'working-dir'],
  'log-target': ['override', 'type', 'location', 'services', 'labels'],
};

function unknownKeys(value: unknown, kind: string, where: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${where} must be a mapping`];
  return Object.keys(value)
    .filter((k) => !KNOWN_KEYS[kind].includes(k))
    .map((k) => `${where}: unknown field ${JSON.stringify(k)}`);
}

/**
 * Checks the YAML text Pebble will read, not the model it came from: every key
 * must be one Pebble's layer format knows (catches a camelCase key slipping
 * through rendering, which Pebble would reject at boot).
 */
export function validateLayerYaml(text: string): string[] {
  return validateLayerDocument(parse(text) as unknown);
}

/**
 * validateLayerYaml without reading text back: checks the document the text is written
 * from (layerDocument), whose keys YAML writes verbatim.
 */
export function validateLayerDocument(doc: unknown): string[] {
  const errors = unknownKeys(doc, 'layer', 'layer');
  if (errors.length > 0 && typeof doc !== 'object') return errors;
  const layer = doc as Record<string, Record<string, Record<string, unknown>> | undefined>;
  for (const [name, svc] of Object.entries(layer.services ?? {})) errors.push(...unknownKeys(svc, 'service', `service ${JSON.stringify(name)}`));
  for (const [name, check] of Object.entries(layer.checks ?? {})) {
    errors.push(...unknownKeys(check, 'check', `check ${JSON.stringify(name)}`));
    for (const kind of ['http', 'tcp', 'exec'] as const) {
      if (check[kind] !== undefined) errors.push(...unknownKeys(check[kind], kind, `check ${JSON.stringify(name)} ${kind}`));
    }
  }
  for (const [name, target] of Object.entries(layer['log-targets'] ?? {}))
    errors.push(...unknownKeys(target, 'log-target', `log target ${JSON.stringify(name)}`));
  return errors;
}

/** Renders the layer as Pebble reads it: kebab-case keys, keys sorted, strings quoted only where YAML needs it. */
export function renderLayer(layer: PebbleLayer): string {
  const doc = layerDocument(layer);
  return emitYaml(doc, 0) ?? stringify(doc, { lineWidth: 0 });
}

/** The layer as the document Pebble reads: kebab-case keys, keys sorted (renderLayer writes it as YAML). */
export function layerDocument(layer: PebbleLayer): Record<string, unknown> {
  return toPebbleKeys(layer) as Record<string, unknown>;
}
