import { spawnSync } from 'child_process';
import { Server, createServer } from 'http';
import { AddressInfo } from 'net';
import { parse, parseAllDocuments } from 'yaml';
import { LAYER_FILE, UP_PERIOD_SECONDS, WEB_ONLY_COMMAND } from '../../lib/pebble/discourse-layer';
import { HTTP_PORT } from '../../lib/model/environment';
import { COLLECTOR_COMMAND, SIDEKIQ_COMMAND, SIDEKIQ_PID_FILE } from '../../lib/workload/sidekiq';
import { APP_DIR } from '../../lib/core/paths';
import { Cadence, PEBBLE_TIMINGS, toleranceSeconds, worstCaseDetectionSeconds } from '../../lib/pebble/pebble-timing';
import { parseGoDuration } from '../../lib/core/units';
import { BASE, S3, copy, renderTree } from '../day2-changes';
import { fixtureTree } from '../fixtures';
import { PebblePod, httpStatus, within } from './pebble-pod';
import { IN_CI, ToolName, ensureTools, toolPath } from './tools';

/**
 * The web layers as the pod runs them, under the real Pebble (the version the rock ships
 * and the oldest docs/pebble.md claims): the rendered container args, `$PEBBLE` with the
 * ConfigMap's layout, the layer's services, checks, kill delays and log tail as rendered.
 * Moved, by substitution in the rendered text (pebble-pod.ts `substitute`, which fails
 * when a value is not there): the Discourse command becomes a stand-in serving
 * `/srv/status`, Unicorn's port 3000 a free loopback port, the app's log folder a
 * temporary one, the --http port a free loopback port. Only the hang test also shortens
 * discourse-up (30 s x 62 in the layer, a half-hour budget) and says so.
 */

const HAVE_GO = spawnSync('go', ['version']).status === 0;
if (!HAVE_GO && !IN_CI) process.stderr.write('test/cluster/pebble.test.ts: SKIPPED: no Go toolchain on PATH to build Pebble (under CI this fails instead)\n');
const describePebble = HAVE_GO || IN_CI ? describe : describe.skip;

interface Container {
  readonly name: string;
  readonly args: string[];
  readonly startupProbe: { readonly periodSeconds: number; readonly failureThreshold: number };
}
interface Deployment {
  readonly spec: { readonly template: { readonly spec: { readonly terminationGracePeriodSeconds: number; readonly containers: Container[] } } };
}
interface RenderedCheck {
  readonly period: string;
  readonly timeout: string;
  readonly threshold: number;
}

function renderedDoc<T>(path: string): T {
  const text = fixtureTree().get(path);
  if (!text) throw new Error(`the fixture sites render no ${path}`);
  return parseAllDocuments(text)[0].toJS() as T;
}

interface WebLayer {
  /** What the describe says. */
  readonly title: string;
  readonly configMap: string;
  readonly deployment: string;
  /** The discourse service's command as lib/discourse-layer renders it. */
  readonly command: string;
  /** Pebble versions that refuse this layer, with the line they log (measured; docs/pebble.md's support table agrees). */
  readonly refusedBy?: Partial<Record<ToolName, string>>;
}

const LAYERS: WebLayer[] = [
  {
    title: 'the web layer (Sidekiq inside Unicorn, site example)',
    configMap: 'example/configmap-example-pebble.yaml',
    deployment: 'example/deployment-example.yaml',
    command: '/srv/scripts/app_launch.sh',
  },
  {
    title: 'the web layer of a site with separate Sidekiq pods (site full)',
    configMap: 'full/configmap-full-pebble.yaml',
    deployment: 'full/deployment-full.yaml',
    command: WEB_ONLY_COMMAND,
    // The site ships logs to Loki: log-targets need Pebble v1.4, their labels v1.6 (docs/pebble.md's table).
    refusedBy: { 'pebble-oldest': 'field log-targets not found in type plan.Layer' },
  },
];

/**
 * [title, tool, whether it notices a service's exit]. Measured: Pebble v1.1.1 here (run
 * by jest, not as a container's PID 1) logs nothing when the app exits and never restarts
 * it, so its crash test is `test.failing`: it passes while v1.1.1 behaves so and fails,
 * to be revisited, when it does not. A restart on check failure (the hang test) works.
 */
const VERSIONS: [string, ToolName, boolean][] = [
  ['Pebble v1.32.1 (the rock’s)', 'pebble', true],
  ['Pebble v1.1.1 (the oldest supported)', 'pebble-oldest', false],
];

/** What the pod is rendered with: the layer text, the container, the grace period. */
function renderedPod(layer: WebLayer): { text: string; container: Container; grace: number } {
  const text = renderedDoc<{ data: Record<string, string> }>(layer.configMap).data[LAYER_FILE];
  const spec = renderedDoc<Deployment>(layer.deployment).spec.template.spec;
  const container = spec.containers.find((c) => c.name === 'discourse');
  if (!container) throw new Error(`no discourse container in ${layer.deployment}`);
  return { text, container, grace: spec.terminationGracePeriodSeconds };
}

const checksOf = (text: string) => (parse(text) as { checks: Record<string, RenderedCheck> }).checks;
const secondsOf = (d: string) => (parseGoDuration(d) ?? NaN) / 1000;

/**
 * discourse-up for the hang test: restarts a frozen app in seconds instead of the layer's
 * half hour, and still sits out longer than discourse-ready takes to report it, so the
 * real readiness timing is seen before Pebble restarts the app.
 */
const FAST_UP: Cadence = { periodSeconds: 2, timeoutSeconds: 1, threshold: 5 };

/** How the hang test rewrites discourse-up's rendered period, threshold and timeout (the keys are sorted, so adjacent). */
function fastUpMapping(text: string): [string, string] {
  const up = checksOf(text)['discourse-up'];
  expect(up.period).toBe(`${UP_PERIOD_SECONDS}s`);
  return [
    `    period: ${up.period}\n    threshold: ${up.threshold}\n    timeout: ${up.timeout}\n`,
    `    period: ${FAST_UP.periodSeconds}s\n    threshold: ${FAST_UP.threshold}\n    timeout: ${FAST_UP.timeoutSeconds}s\n`,
  ];
}

describePebble.each(VERSIONS)('under the real %s', (_version, tool, noticesExits) => {
  beforeAll(() => {
    ensureTools([tool], (line) => process.stderr.write(`${line}\n`));
  }, 600_000);

  describe.each(LAYERS)('$title', (layer) => {
    const { text, container, grace } = renderedPod(layer);
    const ready = checksOf(text)['discourse-ready'];
    const services = Object.keys((parse(text) as { services: Record<string, unknown> }).services);
    const readyCadence: Cadence = { periodSeconds: secondsOf(ready.period), timeoutSeconds: secondsOf(ready.timeout), threshold: ready.threshold };
    const pods: PebblePod[] = [];
    let pod: PebblePod;

    const newPod = async (extra: [string, string][] = []): Promise<PebblePod> => {
      const p = await PebblePod.create({
        pebble: toolPath(tool),
        layer: text,
        command: layer.command,
        args: container.args,
        appPortInLayer: HTTP_PORT,
        logDirInLayer: `${APP_DIR}/log`,
        extra,
      });
      pods.push(p);
      p.start();
      return p;
    };
    const status = (p: PebblePod) => httpStatus(`http://127.0.0.1:${p.appPort}/srv/status`);
    const health = (p: PebblePod, level: string) => httpStatus(`http://127.0.0.1:${p.healthPort}/v1/health?level=${level}`);
    const booted = async (p: PebblePod) => {
      await within(
        10,
        () => `Pebble answering /v1/health?level=alive on --http. ${p.tail()}`,
        async () => (await health(p, 'alive')) === 200,
      );
      await within(
        10,
        () => `discourse active in \`pebble services\` (now ${p.serviceState('discourse')}). ${p.tail()}`,
        () => p.serviceState('discourse') === 'active',
      );
    };

    beforeAll(async () => {
      pod = await newPod();
    });

    afterAll(async () => {
      const errors: string[] = [];
      for (const p of pods) await p.stop().catch((e: Error) => errors.push(e.message));
      expect(errors).toEqual([]);
    });

    const refusal = layer.refusedBy?.[tool];
    if (refusal !== undefined) {
      test('refuses the layer at start: no service runs, while Pebble itself stays up (liveness 200; only the startup probe on /srv/status restarts the container)', async () => {
        // WHEN
        await within(
          10,
          () => `Pebble logging that it cannot start the default services. ${pod.tail()}`,
          () => pod.output().includes('Cannot start default services'),
        );
        // THEN
        expect(pod.output()).toContain(refusal);
        expect(pod.cli('services').stderr).toContain(refusal);
        expect(await health(pod, 'alive')).toBe(200);
        expect(await status(pod)).toBe(0);
        expect(pod.exitCode).toBeNull();
      });
      return;
    }

    test('boots as the pod does: discourse active, liveness answers, the app ready within the startup probe’s budget, its output in `pebble logs`', async () => {
      // GIVEN
      const budget = container.startupProbe.periodSeconds * container.startupProbe.failureThreshold;
      // WHEN
      await booted(pod);
      const seconds = await within(
        budget,
        () => `the app answering /srv/status (the startup probe's path). ${pod.tail()}`,
        async () => (await status(pod)) === 200,
      );
      // THEN
      expect(seconds).toBeLessThan(budget);
      expect(await health(pod, 'alive')).toBe(200);
      await within(
        5,
        () => `the stand-in's first line in \`pebble logs discourse\`: ${JSON.stringify(pod.cli('logs', 'discourse'))}`,
        () => pod.cli('logs', 'discourse').stdout.includes(': serving on '),
      );
      expect(pod.exitCode).toBeNull();
    });

    (noticesExits ? test : test.failing)('a crash is restarted by Pebble (on-failure: restart, first backoff 500 ms)', async () => {
      // GIVEN
      const first = pod.appPid();
      expect(first).toBeDefined();
      // WHEN
      process.kill(first as number, 'SIGUSR2');
      // THEN
      await within(
        10,
        () => `a new app process after the crash of ${first}. ${pod.tail()}`,
        () => pod.appPid() !== first,
      );
      await within(
        10,
        () => `the restarted app answering /srv/status. ${pod.tail()}`,
        async () => (await status(pod)) === 200,
      );
      expect(pod.serviceState('discourse')).toBe('active');
      expect(pod.output()).toContain(`stand-in ${first}: crashing`);
    });

    test('SIGTERM stops every service within the pod’s grace period, and lines the app prints on TERM reach Pebble’s output (stdout and the log tail)', async () => {
      // GIVEN: a pod of its own, so that this does not depend on the crash test.
      const p = await newPod();
      await booted(p);
      await within(
        10,
        () => `the app answering before SIGTERM. ${p.tail()}`,
        async () => (await status(p)) === 200,
      );
      // Every service up, the log tailer too (Pebble v1.1.1 starts them one by one, a second apart).
      await within(
        10,
        () => `all of ${services.join(', ')} active: ${p.cli('services').stdout}`,
        () => services.every((s) => p.serviceState(s) === 'active'),
      );
      await new Promise((r) => setTimeout(r, 500)); // tail -F has opened the log file
      const app = p.appPid();
      // WHEN
      const { exit, seconds } = await p.terminate(grace);
      // THEN
      expect(exit ? `Pebble exited (code ${exit.code}, signal ${exit.signal})` : `Pebble still running ${grace} s after SIGTERM. ${p.tail()}`).toBe(
        'Pebble exited (code 0, signal null)',
      );
      expect(seconds).toBeLessThan(grace);
      expect(p.output()).toContain(`stand-in ${app}: TERM received, shutting down\n`);
      expect(p.output()).toContain(`stand-in ${app}: TERM received, shutting down (log file)`);
      expect(p.processes()).toEqual([]);
    });

    test(`a hang: level=ready fails within discourse-ready’s promised ${worstCaseDetectionSeconds(readyCadence)} s while liveness stays up, and discourse-up (shortened here to ${FAST_UP.periodSeconds} s x ${FAST_UP.threshold}) restarts the app`, async () => {
      // GIVEN: discourse-up sits out longer than discourse-ready takes to report.
      expect(toleranceSeconds(FAST_UP)).toBeGreaterThan(worstCaseDetectionSeconds(readyCadence));
      const p = await newPod([fastUpMapping(text)]);
      await booted(p);
      await within(
        2 * readyCadence.periodSeconds + 2,
        () => `level=ready answering 200 before the hang. ${p.tail()}`,
        async () => (await health(p, 'ready')) === 200,
      );
      // Pebble calls a service active 1 s after its start, and level=ready answers 200 before a
      // check has run: under load the stand-in may not have written its pid yet.
      await within(
        10,
        () => `the stand-in's pid file. ${p.tail()}`,
        () => p.appPid() !== undefined,
      );
      const hung = p.appPid();
      const alive: number[] = [];
      // WHEN
      process.kill(hung as number, 'SIGUSR1');
      // THEN: readiness within the promise (+0.5 s for this test's polling), liveness throughout.
      const notReady = await within(
        worstCaseDetectionSeconds(readyCadence) + 0.5,
        () => `level=ready reporting the hung app (502). ${p.tail()}`,
        async () => {
          alive.push(await health(p, 'alive'));
          return (await health(p, 'ready')) === 502;
        },
      );
      expect(notReady).toBeLessThanOrEqual(worstCaseDetectionSeconds(readyCadence) + 0.5);
      // Pebble restarts the service: SIGTERM to the hung app (which quits in 500 ms), then a new one.
      await within(
        worstCaseDetectionSeconds(FAST_UP) + 0.5 + PEBBLE_TIMINGS.failDelay,
        () => `discourse-up restarting the hung app ${hung}. ${p.tail()}`,
        () => p.appPid() !== hung,
      );
      await within(
        readyCadence.periodSeconds + readyCadence.timeoutSeconds + 2,
        () => `level=ready 200 again after the restart. ${p.tail()}`,
        async () => {
          alive.push(await health(p, 'alive'));
          return (await health(p, 'ready')) === 200;
        },
      );
      expect(alive.filter((s) => s !== 200)).toEqual([]);
      expect(p.output()).toContain(`stand-in ${hung}: TERM received, shutting down`);
    });
  });
});

/**
 * The separate Sidekiq pods' layer (site full, `sidekiq.mode: separate`) under the real
 * Pebble (v1.1.1 refuses it: the site ships logs to Loki, from these pods too). Moved, besides what the web tests move: Sidekiq's command becomes the stand-in
 * (its pid file the one `sidekiq-memory` reads), the collector `sleep`, and `sidekiq-up`'s
 * Redis heartbeat query a test of the stand-in's pid file, checked every 2 s (the
 * kubelet's startup probe runs the real query; no Redis here). `sidekiq-memory` runs as
 * rendered, reading the stand-in's VmRSS, with its limit lowered for the restart test.
 */
const SIDEKIQ = { configMap: 'full/configmap-full-sidekiq-pebble.yaml', deployment: 'full/deployment-full-sidekiq.yaml', container: 'sidekiq' };

describePebble.each(VERSIONS)('the separate Sidekiq layer (site full) under the real %s', (_version, tool) => {
  const text = renderedDoc<{ data: Record<string, string> }>(SIDEKIQ.configMap).data[LAYER_FILE];
  const spec = renderedDoc<Deployment>(SIDEKIQ.deployment).spec.template.spec;
  const container = spec.containers.find((c) => c.name === SIDEKIQ.container);
  if (!container) throw new Error(`no ${SIDEKIQ.container} container in ${SIDEKIQ.deployment}`);
  const grace = spec.terminationGracePeriodSeconds;
  const layer = parse(text) as { services: Record<string, { after?: string[] }>; checks: Record<string, RenderedCheck & { exec: { command: string } }> };
  const services = Object.keys(layer.services);
  const heartbeatLine = /^ {6}command: "bash -c 'now=.*$/m.exec(text)?.[0];
  const up = layer.checks['sidekiq-up'];
  const pods: PebblePod[] = [];

  beforeAll(() => {
    ensureTools([tool], (line) => process.stderr.write(`${line}\n`));
  }, 600_000);

  afterAll(async () => {
    const errors: string[] = [];
    for (const p of pods) await p.stop().catch((e: Error) => errors.push(e.message));
    expect(errors).toEqual([]);
  });

  const newPod = async (extra: [string, string][] = []): Promise<PebblePod> => {
    if (!heartbeatLine) throw new Error(`the Sidekiq layer has no sidekiq-up heartbeat command line:\n${text}`);
    const p = await PebblePod.create({
      pebble: toolPath(tool),
      layer: text,
      command: SIDEKIQ_COMMAND,
      args: container.args,
      logDirInLayer: `${APP_DIR}/log`,
      extra: [
        [COLLECTOR_COMMAND, 'sleep 100000'],
        [heartbeatLine, `      command: bash -c 'test -s $POD_DIR/app.pid'`],
        [`    period: ${up.period}\n    threshold: ${up.threshold}\n    timeout: ${up.timeout}\n`, '    period: 2s\n    threshold: 3\n    timeout: 1s\n'],
        [SIDEKIQ_PID_FILE, '$POD_DIR/app.pid'],
        ...extra,
      ],
    });
    pods.push(p);
    p.start();
    return p;
  };
  const health = (p: PebblePod, level: string) => httpStatus(`http://127.0.0.1:${p.healthPort}/v1/health?level=${level}`);
  const allActive = (p: PebblePod) =>
    within(
      15,
      () => `all of ${services.join(', ')} active: ${p.cli('services').stdout} ${p.tail()}`,
      () => services.every((s) => p.serviceState(s) === 'active'),
    );

  // The site ships logs to Loki from the Sidekiq pods too: log-targets need Pebble v1.4, their labels v1.6 (the README's table).
  if (tool === 'pebble-oldest') {
    test('refuses the layer at start (it has a Loki log target): no service runs, while Pebble itself stays up', async () => {
      expect(Object.keys((parse(text) as { 'log-targets'?: object })['log-targets'] ?? {})).toEqual(['loki']);
      const p = await newPod();
      await within(
        10,
        () => `Pebble logging that it cannot start the default services. ${p.tail()}`,
        () => p.output().includes('Cannot start default services'),
      );
      expect(p.output()).toContain('field log-targets not found in type plan.Layer');
      expect(await health(p, 'alive')).toBe(200);
      expect(services.filter((s) => p.serviceState(s) === 'active')).toEqual([]);
    });
    return;
  }

  test('boots: every service active, ready once sidekiq-up passes (the layer’s `after` does not order the start: see below)', async () => {
    // GIVEN
    expect(layer.services.sidekiq.after).toEqual(['prometheus-collector']);
    // WHEN
    const p = await newPod();
    await allActive(p);
    // THEN
    await within(
      10,
      () => `level=ready 200. ${p.tail()}`,
      async () => (await health(p, 'ready')) === 200,
    );
    // Measured: Pebble since v1.16 starts services in lanes made by `requires` only
    // (plan.go createLanes); `after` without `requires` leaves the collector and Sidekiq in
    // lanes of their own, started side by side, so no start order is asserted here.
    expect(p.output()).toMatch(/Service "prometheus-collector" starting/);
    expect(p.output()).toMatch(/Service "sidekiq" starting/);
  });

  test('sidekiq-memory, as rendered but for its limit (1500 MiB → 1 MiB), restarts Sidekiq once its RSS is above it', async () => {
    // GIVEN the rendered check reads the stand-in’s VmRSS every 2 s
    const memory = layer.checks['sidekiq-memory'];
    expect(memory.exec.command).toContain('-gt 1536000');
    const p = await newPod([
      ['-gt 1536000', '-gt 1024'],
      [
        `    period: ${memory.period}\n    threshold: ${memory.threshold}\n    timeout: ${memory.timeout}\n`,
        `    period: 2s\n    threshold: ${memory.threshold}\n    timeout: 1s\n`,
      ],
    ]);
    await within(
      10,
      () => `the stand-in Sidekiq running. ${p.tail()}`,
      () => p.appPid() !== undefined,
    );
    const first = p.appPid();
    // WHEN / THEN: three failures 2 s apart, then a restart (TERM, a new process)
    await within(
      2 * memory.threshold + 1 + 10,
      () => `sidekiq-memory restarting Sidekiq ${first}. ${p.tail()}`,
      () => p.appPid() !== first,
    );
    expect(p.output()).toContain(`stand-in ${first}: TERM received, shutting down`);
  });

  test('SIGTERM stops every service within the pod’s grace period, the app’s last lines copied by the log tailer', async () => {
    // GIVEN
    const p = await newPod();
    await allActive(p);
    await new Promise((r) => setTimeout(r, 500));
    const app = p.appPid();
    // WHEN
    const { exit, seconds } = await p.terminate(grace);
    // THEN
    expect(exit ? `Pebble exited (code ${exit.code}, signal ${exit.signal})` : `Pebble still running ${grace} s after SIGTERM. ${p.tail()}`).toBe(
      'Pebble exited (code 0, signal null)',
    );
    expect(seconds).toBeLessThan(grace);
    expect(p.output()).toContain(`stand-in ${app}: TERM received, shutting down (log file)`);
    expect(p.processes()).toEqual([]);
  }, 120_000);
});

/**
 * Logs to an OpenTelemetry collector (`otlp_logs_url`): the rendered web layer's
 * `opentelemetry` log target under the real Pebble, pointed (by substitution) at a local
 * fake receiver that records every OTLP/HTTP request.
 */
const OTLP_URL = 'http://alloy.monitoring:4318';

interface OtlpRequest {
  readonly path: string;
  readonly contentType: string;
  readonly body: {
    resourceLogs?: {
      resource: { attributes: { key: string; value: { stringValue?: string } }[] };
      scopeLogs?: { logRecords?: { body: { stringValue?: string } }[] }[];
    }[];
  };
}

describePebble.each(VERSIONS)('logs to an OpenTelemetry collector under the real %s', (_version, tool) => {
  const site = copy(BASE);
  site.otlp_logs_url = OTLP_URL;
  const tree = renderTree(site);
  const doc = <T>(path: string): T => {
    const text = tree.get(path);
    if (!text) throw new Error(`the site renders no ${path}`);
    return parseAllDocuments(text)[0].toJS() as T;
  };
  const text = doc<{ data: Record<string, string> }>('forum/configmap-forum-pebble.yaml').data[LAYER_FILE];
  const container = doc<Deployment>('forum/deployment-forum.yaml').spec.template.spec.containers.find((c) => c.name === 'discourse');
  const received: OtlpRequest[] = [];
  let receiver: Server | undefined;
  let pod: PebblePod | undefined;

  beforeAll(async () => {
    ensureTools([tool], (line) => process.stderr.write(`${line}\n`));
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: JSON.parse(body || '{}') as OtlpRequest['body'] });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', () => r()));
  }, 600_000);

  afterAll(async () => {
    await pod?.stop();
    await new Promise((r) => receiver?.close(r));
  });

  const start = async () => {
    if (!container) throw new Error('no discourse container in forum/deployment-forum.yaml');
    const address = receiver!.address() as AddressInfo;
    pod = await PebblePod.create({
      pebble: toolPath(tool),
      layer: text,
      command: '/srv/scripts/app_launch.sh',
      args: container.args,
      appPortInLayer: HTTP_PORT,
      logDirInLayer: `${APP_DIR}/log`,
      extra: [[`location: ${OTLP_URL}`, `location: http://127.0.0.1:${address.port}`]],
    });
    pod.start();
    return pod;
  };

  test('the layer has one opentelemetry log target for every service, with the site, namespace and role as attributes', () => {
    const targets = (parse(text) as { 'log-targets'?: Record<string, unknown> })['log-targets'];
    expect(targets).toEqual({
      otlp: { override: 'replace', type: 'opentelemetry', location: OTLP_URL, services: ['all'], labels: { namespace: 'forum', role: 'web', site: 'forum' } },
    });
  });

  if (tool === 'pebble-oldest') {
    test('is refused at start by Pebble v1.1.1 (log targets came in v1.4, opentelemetry in v1.25.0): no service runs', async () => {
      const p = await start();
      await within(
        10,
        () => `Pebble logging that it cannot start the default services. ${p.tail()}`,
        () => p.output().includes('Cannot start default services'),
      );
      expect(p.output()).toContain('field log-targets not found in type plan.Layer');
      expect(received).toEqual([]);
    });
    return;
  }

  test('the app’s log lines reach the receiver as OTLP/HTTP JSON at <url>/v1/logs, with service.name, site, namespace and role', async () => {
    // WHEN the pod boots and the stand-in logs
    const p = await start();
    const line = () => received.flatMap((r) => r.body.resourceLogs ?? []).find((l) => JSON.stringify(l).includes(': serving on '));
    await within(
      20,
      () => `a log record with the stand-in's first line at the receiver (got ${received.length} requests). ${p.tail()}`,
      () => line() !== undefined,
    );
    // THEN
    expect(received.every((r) => r.path === '/v1/logs' && r.contentType === 'application/json')).toBe(true);
    const attributes = Object.fromEntries((line()?.resource.attributes ?? []).map((a) => [a.key, a.value.stringValue]));
    expect(attributes).toEqual({ 'service.name': 'discourse', site: 'forum', namespace: 'forum', role: 'web' });
  });
});

/** What a fake log receiver recorded of one request: the path, the content type and the JSON body. */
interface Received {
  readonly path: string;
  readonly contentType: string;
  readonly body: unknown;
}

/** A loopback HTTP server that answers every POST with 200 and records it. */
async function fakeReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: JSON.parse(body || '{}') as unknown });
      res.writeHead(req.url?.startsWith('/loki/') ? 204 : 200, { 'content-type': 'application/json' });
      res.end(req.url?.startsWith('/loki/') ? undefined : '{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

/** One stream of a Loki push request (Pebble's loki client: JSON, labels in `stream`, `[ts, line]` in `values`). */
interface LokiStream {
  readonly stream: Record<string, string>;
  readonly values: [string, string][];
}

/** Every line a receiver got, with the labels (Loki) or resource attributes (OTLP) it came with. */
function receivedLines(received: readonly Received[]): { line: string; labels: Record<string, string | undefined> }[] {
  return received.flatMap((r) => {
    const body = r.body as { streams?: LokiStream[] } & OtlpRequest['body'];
    const loki = (body.streams ?? []).flatMap((s) => s.values.map(([, line]) => ({ line, labels: { ...s.stream } })));
    const otlp = (body.resourceLogs ?? []).flatMap((l) => {
      const labels = Object.fromEntries(l.resource.attributes.map((a) => [a.key, a.value.stringValue]));
      return (l.scopeLogs ?? []).flatMap((sl) => (sl.logRecords ?? []).map((rec) => ({ line: rec.body.stringValue ?? '', labels })));
    });
    return [...loki, ...otlp];
  });
}

/**
 * Both layers of a site with separate Sidekiq pods ship their logs to the same target,
 * Loki or an OpenTelemetry collector, told apart by `role` (web, sidekiq): each rendered
 * layer under the real Pebble v1.32.1 (the oldest supported refuses log targets, above),
 * pointed by substitution at a fake receiver. The Sidekiq pod is moved as in the tests of
 * its layer above (stand-in, collector `sleep`, heartbeat on the pid file).
 */
const LOKI_URL = 'http://loki.monitoring:3100/loki/api/v1/push';
const TARGETS = [
  { name: 'Loki', key: 'loki_url', url: LOKI_URL, path: '/loki/api/v1/push', contentType: 'application/json; charset=utf-8', serviceLabel: 'pebble_service' },
  { name: 'an OpenTelemetry collector', key: 'otlp_logs_url', url: OTLP_URL, path: '/v1/logs', contentType: 'application/json', serviceLabel: 'service.name' },
];

describePebble.each(TARGETS)('separate Sidekiq: web and Sidekiq logs to $name under the real Pebble v1.32.1', (target) => {
  const site = copy(BASE);
  Object.assign(site.config, S3);
  delete site.uploads;
  site.sidekiq = { mode: 'separate' };
  site[target.key] = target.url;
  const tree = renderTree(site);
  const doc = <T>(path: string): T => {
    const text = tree.get(path);
    if (!text) throw new Error(`the site renders no ${path}`);
    return parseAllDocuments(text)[0].toJS() as T;
  };
  const layers = {
    web: doc<{ data: Record<string, string> }>('forum/configmap-forum-pebble.yaml').data[LAYER_FILE],
    sidekiq: doc<{ data: Record<string, string> }>('forum/configmap-forum-sidekiq-pebble.yaml').data[LAYER_FILE],
  };
  const containers = {
    web: doc<Deployment>('forum/deployment-forum.yaml').spec.template.spec.containers.find((c) => c.name === 'discourse'),
    sidekiq: doc<Deployment>('forum/deployment-forum-sidekiq.yaml').spec.template.spec.containers.find((c) => c.name === 'sidekiq'),
  };
  const pods: PebblePod[] = [];
  let receiver: Awaited<ReturnType<typeof fakeReceiver>> | undefined;

  beforeAll(async () => {
    ensureTools(['pebble'], (line) => process.stderr.write(`${line}\n`));
    receiver = await fakeReceiver();
  }, 600_000);

  afterAll(async () => {
    for (const p of pods) await p.stop();
    await new Promise((r) => receiver?.server.close(r));
  });

  test('both layers have the same target, their labels differing only in role', () => {
    const targetOf = (text: string) => (parse(text) as { 'log-targets'?: Record<string, { location: string; labels: Record<string, string> }> })['log-targets'];
    const web = targetOf(layers.web);
    const sidekiq = targetOf(layers.sidekiq);
    expect(Object.values(web ?? {}).map((t) => t.location)).toEqual([target.url]);
    expect(Object.values(sidekiq ?? {}).map((t) => ({ ...t, labels: { ...t.labels, role: 'web' } }))).toEqual(Object.values(web ?? {}));
    expect(Object.values(sidekiq ?? {}).map((t) => t.labels)).toEqual([{ namespace: 'forum', role: 'sidekiq', site: 'forum' }]);
  });

  test('the lines of both pods reach the receiver, each with its role, the site, the namespace and the Pebble service', async () => {
    // GIVEN a web pod and a Sidekiq pod, their target moved to the receiver
    const location: [string, string] = [`location: ${target.url}`, `location: ${receiver!.url}${target.path === '/v1/logs' ? '' : target.path}`];
    const sidekiqText = layers.sidekiq;
    const heartbeatLine = /^ {6}command: "bash -c 'now=.*$/m.exec(sidekiqText)?.[0];
    const up = (parse(sidekiqText) as { checks: Record<string, RenderedCheck> }).checks['sidekiq-up'];
    if (!heartbeatLine || !containers.web || !containers.sidekiq) throw new Error('the site renders no web or Sidekiq container, or no sidekiq-up heartbeat');
    const web = await PebblePod.create({
      pebble: toolPath('pebble'),
      layer: layers.web,
      command: WEB_ONLY_COMMAND,
      args: containers.web.args,
      appPortInLayer: HTTP_PORT,
      logDirInLayer: `${APP_DIR}/log`,
      extra: [location],
    });
    const sidekiq = await PebblePod.create({
      pebble: toolPath('pebble'),
      layer: sidekiqText,
      command: SIDEKIQ_COMMAND,
      args: containers.sidekiq.args,
      logDirInLayer: `${APP_DIR}/log`,
      extra: [
        [COLLECTOR_COMMAND, 'sleep 100000'],
        [heartbeatLine, `      command: bash -c 'test -s $POD_DIR/app.pid'`],
        [`    period: ${up.period}\n    threshold: ${up.threshold}\n    timeout: ${up.timeout}\n`, '    period: 2s\n    threshold: 3\n    timeout: 1s\n'],
        [SIDEKIQ_PID_FILE, '$POD_DIR/app.pid'],
        location,
      ],
    });
    pods.push(web, sidekiq);
    // WHEN both boot and their stand-ins log
    web.start();
    sidekiq.start();
    const from = (service: string) =>
      receivedLines(receiver!.received).find((l) => l.labels[target.serviceLabel] === service && l.line.includes(': serving on '));
    await within(
      20,
      () => `a line of each pod at the receiver (got ${receiver!.received.length} requests). web: ${web.tail()} sidekiq: ${sidekiq.tail()}`,
      () => from('discourse') !== undefined && from('sidekiq') !== undefined,
    );
    // THEN
    expect([...new Set(receiver!.received.map((r) => `${r.path} ${r.contentType}`))]).toEqual([`${target.path} ${target.contentType}`]);
    expect(from('discourse')?.labels).toEqual({ [target.serviceLabel]: 'discourse', site: 'forum', namespace: 'forum', role: 'web' });
    expect(from('sidekiq')?.labels).toEqual({ [target.serviceLabel]: 'sidekiq', site: 'forum', namespace: 'forum', role: 'sidekiq' });
    // The Rails log file's copy (sidekiq-logs) is shipped too, with the same role.
    await within(
      10,
      () => `the Sidekiq pod's log-file line at the receiver. ${sidekiq.tail()}`,
      () =>
        receivedLines(receiver!.received).some(
          (l) => l.labels[target.serviceLabel] === 'sidekiq-logs' && l.labels.role === 'sidekiq' && l.line.includes('(log file)'),
        ),
    );
  }, 60_000);
});
