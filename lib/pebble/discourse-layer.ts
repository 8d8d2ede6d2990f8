import { HTTP_PORT } from '../model/environment';
import { APP_HOME, APP_DIR, APP_USER } from '../core/paths';
import { PebbleCheck, PebbleLayer, PebbleLogTarget, PebbleService } from './pebble';
import { Cadence, PEBBLE_TIMINGS, thresholdToTolerate } from './pebble-timing';

/** The layer file name: Pebble applies layers in order, so ours is first. */
export const LAYER_FILE = '001-discourse.yaml';

/** Files Unicorn and Rails write in production instead of stdout. */
export const LOG_FILES: readonly string[] = ['production.log', 'unicorn.stderr.log', 'unicorn.stdout.log'].map((f) => `${APP_DIR}/log/${f}`);

/** Size at which a log file is truncated (the tail has already shipped its lines). */
export const LOG_TRIM_BYTES = 100 * 1024 * 1024;

/**
 * Seconds the log tailer outlives Unicorn's kill-delay on shutdown: Unicorn may write
 * until it is SIGKILLed, and GNU tail -F, if it falls back from inotify to polling,
 * looks once a second.
 */
export const TAIL_LINGER_SECONDS = 2;

/** When `discourse-ready` runs: every 5 s, answer within 1 s, one failure is enough (Juju's readiness numbers). */
export const READY_CADENCE: Cadence = { periodSeconds: 5, timeoutSeconds: 1, threshold: 1 };

/** How often `discourse-up` asks Unicorn; the threshold, not the period, sets the time budget. */
export const UP_PERIOD_SECONDS = 30;

/** What the Discourse layer is made of. */
export interface DiscourseLayerOptions {
  /** Non-secret environment of the Discourse service. */
  readonly environment: Readonly<Record<string, string>>;
  /** SIGTERM → SIGKILL grace Pebble gives Unicorn, in seconds. */
  readonly killDelaySeconds: number;
  /**
   * How long one Unicorn boot may take before it is a failed boot; the budget of the
   * pod's startup probe.
   */
  readonly bootSeconds: number;
  /** Copy the log files to stdout with a `discourse-logs` service. */
  readonly tailLogs: boolean;
  /**
   * Unicorn forks no Sidekiq (`UNICORN_SIDEKIQS=0`): Sidekiq runs in its own pods.
   * @default false
   */
  readonly withoutSidekiq?: boolean;
  /** Where every service's output goes besides stdout. @default - stdout only */
  readonly logTarget?: LayerLogTarget;
}

/** One Pebble log target for every service of a layer: Loki's push API or an OpenTelemetry collector. */
export interface LayerLogTarget {
  /** `loki` (Pebble v1.4+, labels v1.6+) or `opentelemetry` (OTLP/HTTP JSON to `<location>/v1/logs`, Pebble v1.25+). */
  readonly type: 'loki' | 'opentelemetry';
  /** Loki's push URL, or the collector's OTLP/HTTP base URL. */
  readonly location: string;
  /** Loki stream labels, or OpenTelemetry resource attributes (Pebble adds the service's name to both). */
  readonly labels: Readonly<Record<string, string>>;
}

/** Which pods a layer runs in, as its logs say: `web` (Unicorn, with Sidekiq inside when embedded) or `sidekiq` (separate). */
export type LogRole = 'web' | 'sidekiq';

/**
 * The log target of a site's layer, from `lokiUrl` or `otlpLogsUrl` (validation allows one):
 * labels `site`, `namespace` and `role`, so web and Sidekiq pods stay apart in the same
 * store. No pod name: Pebble expands `$VARS` in labels only from the service's environment
 * in the plan (logstate gatherer.go `evaluateLabels`), which is this ConfigMap, the same
 * for every pod; a collector adds it (OpenTelemetry's k8sattributes processor, by the
 * connection's pod IP).
 */
export function siteLogTarget(
  r: { readonly lokiUrl?: string; readonly otlpLogsUrl?: string },
  site: { readonly name: string; readonly namespace: string; readonly role: LogRole },
): LayerLogTarget | undefined {
  const labels = { site: site.name, namespace: site.namespace, role: site.role };
  if (r.lokiUrl !== undefined) return { type: 'loki', location: r.lokiUrl, labels };
  if (r.otlpLogsUrl !== undefined) return { type: 'opentelemetry', location: r.otlpLogsUrl, labels };
  return undefined;
}

/** The layer's `log-targets`: one, named after its kind (`loki`, `otlp`), for all services. */
export function logTargets(target: LayerLogTarget | undefined): { logTargets: Record<string, PebbleLogTarget> } | Record<string, never> {
  if (target === undefined) return {};
  const name = target.type === 'loki' ? 'loki' : 'otlp';
  return { logTargets: { [name]: { override: 'replace', type: target.type, location: target.location, services: ['all'], labels: { ...target.labels } } } };
}

/**
 * The failing stretch `discourse-up` must sit out before it restarts Unicorn. Pebble
 * does not reset a check's failures when it restarts the service (checkstate
 * handlers.go: only a passing run sets Failures to 0), so a boot that follows a failed
 * boot inherits that boot's failures. Sized for the worst such sequence: a failed boot
 * (up to `bootSeconds`), Pebble's longest backoff before the restart, then a full boot.
 */
export function restartStretchSeconds(bootSeconds: number, backoffLimitSeconds: number = PEBBLE_TIMINGS.backoffLimit): number {
  return 2 * bootSeconds + backoffLimitSeconds;
}

/**
 * The rock's /srv/scripts/app_launch.sh with `UNICORN_SIDEKIQS=0`: the script exports
 * `UNICORN_SIDEKIQS=1` itself, so the layer's environment cannot override it
 * (discourse-k8s-operator discourse_rock/scripts/app_launch.sh). Unicorn's
 * config/unicorn.conf.rb starts Demon::Sidekiq only when UNICORN_SIDEKIQS > 0.
 */
export const WEB_ONLY_COMMAND = `bash -c 'export UNICORN_BIND_ALL=0.0.0.0 UNICORN_SIDEKIQS=0; cd ${APP_DIR} && exec bin/unicorn -c config/unicorn.conf.rb'`;

/**
 * HOME and USER as Pebble would set them for `user: _daemon_`. The layer names no user:
 * the pod already runs as _daemon_'s uid, and Pebble before v1.3 cannot switch even to
 * its own user when not root (it sets credentials and fails with "operation not permitted").
 */
export const SERVICE_IDENTITY: Readonly<Record<string, string>> = { HOME: APP_HOME, USER: APP_USER };

/**
 * Config → the Pebble layer, after the charm's `_create_layer_config`: service
 * `discourse` and check `discourse-ready`, plus a level-less HTTP check that lets Pebble
 * (not the kubelet) restart a dead or frozen Unicorn, and a log tailer because Unicorn
 * logs to files in production.
 */
export function discourseLayer(options: DiscourseLayerOptions): PebbleLayer {
  const services: Record<string, PebbleService> = {
    discourse: {
      override: 'replace',
      summary: 'Discourse web application',
      command: options.withoutSidekiq ? WEB_ONLY_COMMAND : '/srv/scripts/app_launch.sh',
      startup: 'enabled',
      killDelay: `${options.killDelaySeconds}s`,
      environment: { ...options.environment, ...SERVICE_IDENTITY },
      onCheckFailure: { 'discourse-up': 'restart' },
    },
  };
  if (options.tailLogs) {
    services['discourse-logs'] = {
      override: 'replace',
      summary: 'Copies Discourse log files to stdout',
      // -F follows files that do not exist yet or get truncated; -n 0 avoids replaying
      // old lines when the container restarts on the same emptyDir; -q drops the
      // "==> file <==" headers tail prints when it switches between files.
      // Pebble SIGTERMs every service at once on shutdown (no service `requires` another,
      // so each has its own stop lane), and Unicorn writes its last lines during its
      // graceful quit: the tailer ignores TERM (SIG_IGN survives exec) and is SIGKILLed
      // only after its own kill-delay, which outlasts Unicorn's.
      command: `sh -c 'trap "" TERM; exec tail -n 0 -q -F ${LOG_FILES.join(' ')}'`,
      startup: 'enabled',
      after: ['discourse'],
      killDelay: `${options.killDelaySeconds + TAIL_LINGER_SECONDS}s`,
      environment: SERVICE_IDENTITY,
    };
    // Nothing rotates the files inside the container; truncating them in place keeps the
    // log volume bounded while Rails and Unicorn keep writing (O_APPEND) and tail -F follows.
    services['discourse-log-trim'] = {
      override: 'replace',
      summary: 'Truncates Discourse log files above 100 MiB',
      command: `sh -c 'while sleep 60; do for f in ${LOG_FILES.join(' ')}; do if [ -f "$f" ] && [ "$(stat -c %s "$f")" -gt ${LOG_TRIM_BYTES} ]; then : > "$f"; fi; done; done'`,
      startup: 'enabled',
      environment: SERVICE_IDENTITY,
    };
  }
  const status = `http://localhost:${HTTP_PORT}/srv/status`;
  const checks: Record<string, PebbleCheck> = {
    // The charm's readiness check, tightened so `pebble health` agrees with the pod's
    // readiness probe (which asks Unicorn directly) within a period instead of lagging
    // up to 3 x 10 s; with Pebble's defaults it also said "up" for ~30 s of every boot.
    'discourse-ready': {
      override: 'replace',
      level: 'ready',
      period: `${READY_CADENCE.periodSeconds}s`,
      timeout: `${READY_CADENCE.timeoutSeconds}s`,
      threshold: READY_CADENCE.threshold,
      http: { url: status },
    },
    // HTTP, not TCP: a frozen (SIGSTOPped) Unicorn still completes TCP handshakes from
    // the kernel's backlog but never answers. No level: with `alive`, the kubelet's
    // liveness probe would also kill the container while Pebble reboots Unicorn (the
    // check stays down until the new boot answers), so Pebble alone restarts it.
    // Pebble runs it first one period after start and keeps its failures across service
    // restarts, so the threshold covers a failed boot, a backoff and a full boot.
    'discourse-up': {
      override: 'replace',
      period: `${UP_PERIOD_SECONDS}s`,
      timeout: `${PEBBLE_TIMINGS.checkTimeout}s`,
      threshold: thresholdToTolerate(restartStretchSeconds(options.bootSeconds), UP_PERIOD_SECONDS),
      http: { url: status },
    },
  };
  const layer: PebbleLayer = {
    summary: 'Discourse layer',
    description: 'Discourse forum (Unicorn + Sidekiq) supervised by Pebble; rendered by discourse-cdk8s',
    services,
    checks,
  };
  return { ...layer, ...logTargets(options.logTarget) };
}
