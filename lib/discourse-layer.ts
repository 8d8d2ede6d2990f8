import { APP_DIR, APP_USER, HTTP_PORT } from './environment';
import { PebbleCheck, PebbleLayer, PebbleLogTarget, PebbleService } from './pebble';

/** The layer file name: Pebble applies layers in order, so ours is first. */
export const LAYER_FILE = '001-discourse.yaml';

/** Files Unicorn and Rails write in production instead of stdout. */
export const LOG_FILES: readonly string[] = ['production.log', 'unicorn.stderr.log', 'unicorn.stdout.log'].map((f) => `${APP_DIR}/log/${f}`);

/** Size at which a log file is truncated (the tail has already shipped its lines). */
export const LOG_TRIM_BYTES = 100 * 1024 * 1024;

/** What the Discourse layer is made of. */
export interface DiscourseLayerOptions {
  /** Non-secret environment of the Discourse service. */
  readonly environment: Readonly<Record<string, string>>;
  /** SIGTERM → SIGKILL grace Pebble gives Unicorn, as a Go duration. */
  readonly killDelay: string;
  /**
   * How long Unicorn may take to listen before Pebble restarts it; the same budget as
   * the pod's startup probe, so Pebble never restarts a pod the kubelet still waits for.
   */
  readonly bootSeconds: number;
  /** Copy the log files to stdout with a `discourse-logs` service. */
  readonly tailLogs: boolean;
  /** Loki push URL for a Pebble log target. @default - no log target */
  readonly lokiUrl?: string;
  /** Labels for the Loki log target. @default {} */
  readonly lokiLabels?: Readonly<Record<string, string>>;
}

/**
 * Config → the Pebble layer, mirroring the charm's `_create_layer_config`: service
 * `discourse` and check `discourse-ready` as the charm writes them, plus a
 * level-less TCP check that lets Pebble (not the kubelet) restart a hung Unicorn,
 * and a log tailer because Unicorn logs to files in production.
 */
export function discourseLayer(options: DiscourseLayerOptions): PebbleLayer {
  const services: Record<string, PebbleService> = {
    discourse: {
      override: 'replace',
      summary: 'Discourse web application',
      command: '/srv/scripts/app_launch.sh',
      user: APP_USER,
      startup: 'enabled',
      killDelay: options.killDelay,
      environment: options.environment,
      onCheckFailure: { 'discourse-up': 'restart' },
    },
  };
  if (options.tailLogs) {
    services['discourse-logs'] = {
      override: 'replace',
      summary: 'Copies Discourse log files to stdout',
      // -F follows files that do not exist yet or get rotated; -n 0 avoids replaying
      // old lines when the container restarts on the same emptyDir.
      command: `tail -n 0 -F ${LOG_FILES.join(' ')}`,
      user: APP_USER,
      startup: 'enabled',
      after: ['discourse'],
    };
    // Nothing rotates the files inside the container; truncating them in place keeps the
    // log volume bounded while Rails and Unicorn keep writing (O_APPEND) and tail -F follows.
    services['discourse-log-trim'] = {
      override: 'replace',
      summary: 'Truncates Discourse log files above 100 MiB',
      command: `sh -c 'while sleep 60; do for f in ${LOG_FILES.join(' ')}; do if [ -f "$f" ] && [ "$(stat -c %s "$f")" -gt ${LOG_TRIM_BYTES} ]; then : > "$f"; fi; done; done'`,
      user: APP_USER,
      startup: 'enabled',
    };
  }
  const checks: Record<string, PebbleCheck> = {
    'discourse-ready': {
      override: 'replace',
      level: 'ready',
      http: { url: `http://localhost:${HTTP_PORT}/srv/status` },
    },
    // Pebble checks start at once and count failures during boot, so the threshold covers the boot budget.
    'discourse-up': {
      override: 'replace',
      period: '30s',
      threshold: Math.max(3, Math.ceil(options.bootSeconds / 30)),
      tcp: { port: HTTP_PORT },
    },
  };
  const layer: PebbleLayer = {
    summary: 'Discourse layer',
    description: 'Discourse forum (Unicorn + Sidekiq) supervised by Pebble; rendered by discourse-cdk8s',
    services,
    checks,
  };
  if (options.lokiUrl) {
    const loki: PebbleLogTarget = {
      override: 'replace',
      type: 'loki',
      location: options.lokiUrl,
      services: ['all'],
      labels: options.lokiLabels,
    };
    return { ...layer, logTargets: { loki } };
  }
  return layer;
}
