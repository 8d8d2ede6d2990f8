import { ChildProcess, spawn, spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { get } from 'http';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { fixtureTree } from '../fixtures';
import { IN_CI, ToolName, ensureTools, toolPath } from './tools';

/**
 * The web layer as the pod runs it, under the real Pebble (the version the rock ships and
 * the oldest the README claims): the rendered container args and `$PEBBLE` with the
 * ConfigMap's layout, the layer's services, checks, kill delays and log tail as rendered.
 * Only what cannot run here is moved: `app_launch.sh` becomes a stand-in that serves
 * `/srv/status` on a free port, and the app's log folder and ports move to temporary ones.
 */

const HAVE_GO = spawnSync('go', ['version']).status === 0;
if (!HAVE_GO && !IN_CI) process.stderr.write('test/cluster/pebble.test.ts: SKIPPED: no Go toolchain to build Pebble (CI never skips)\n');
const describePebble = HAVE_GO || IN_CI ? describe : describe.skip;

const rendered = (path: string) => {
  const text = fixtureTree().get(path);
  if (!text) throw new Error(`the example fixture has no ${path}`);
  return parseAllDocuments(text)[0].toJS() as {
    data: Record<string, string>;
    spec: {
      template: { spec: { terminationGracePeriodSeconds: number; containers: { name: string; args: string[]; env: { name: string; value?: string }[] }[] } };
    };
  };
};

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

const httpStatus = (url: string): Promise<number> =>
  new Promise((resolve) => {
    const req = get(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });

async function within(seconds: number, what: string, check: () => Promise<boolean> | boolean): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > seconds * 1000) throw new Error(`${what}: not within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return (Date.now() - started) / 1000;
}

/** The stand-in for app_launch.sh: serves /srv/status, logs to the app's log, and shuts down on TERM in a second. */
const STAND_IN = `
const http = require('http');
const fs = require('fs');
const [port, logDir, pidFile] = process.argv.slice(2);
const log = (line) => fs.appendFileSync(logDir + '/production.log', line + '\\n');
fs.writeFileSync(pidFile, String(process.pid));
http.createServer((req, res) => { res.writeHead(req.url === '/srv/status' ? 200 : 404); res.end('ok'); }).listen(Number(port), '127.0.0.1', () => log('stand-in: serving'));
process.on('SIGTERM', () => { log('stand-in: TERM received, shutting down'); setTimeout(() => process.exit(0), 1000); });
`;

interface Pod {
  readonly proc: ChildProcess;
  readonly output: () => string;
  readonly appPort: number;
  readonly healthPort: number;
  readonly pidFile: string;
  readonly grace: number;
}

function startPod(pebble: string, appPort: number, healthPort: number): Pod {
  const dir = mkdtempSync(join(tmpdir(), 'pebble-pod-'));
  const logDir = join(dir, 'log');
  mkdirSync(logDir);
  const standIn = join(dir, 'stand-in.js');
  writeFileSync(standIn, STAND_IN);
  const pidFile = join(dir, 'app.pid');
  const layer = rendered('example/configmap-example-pebble.yaml')
    .data['001-discourse.yaml'].replace('/srv/scripts/app_launch.sh', `${process.execPath} ${standIn} ${appPort} ${logDir} ${pidFile}`)
    .replace(/\/srv\/discourse\/app\/log/g, logDir)
    .replace(/localhost:3000/g, `localhost:${appPort}`);
  const deployment = rendered('example/deployment-example.yaml');
  const container = deployment.spec.template.spec.containers.find((c) => c.name === 'discourse');
  if (!container) throw new Error('no discourse container in the rendered Deployment');
  // $PEBBLE as the pod has it: the ConfigMap mounted at $PEBBLE/layers.
  const pebbleDir = join(dir, 'pebble');
  mkdirSync(join(pebbleDir, 'layers'), { recursive: true });
  writeFileSync(join(pebbleDir, 'layers', '001-discourse.yaml'), layer);
  const args = container.args.map((a) => (a.startsWith(':') ? `127.0.0.1:${healthPort}` : a));
  let out = '';
  const proc = spawn(pebble, args, { env: { PATH: process.env.PATH, PEBBLE: pebbleDir, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, output: () => out, appPort, healthPort, pidFile, grace: deployment.spec.template.spec.terminationGracePeriodSeconds };
}

/**
 * Measured here: Pebble v1.1.1, run outside a container (not PID 1), neither notices the
 * app being killed (no exit logged, no restart) nor stops its services on SIGTERM (it
 * exits at once, so the app's last lines never reach the log tail). Those two tests are
 * `test.failing` for it: they pass while v1.1.1 still behaves so, and fail, to be
 * revisited, when it does not. The README's oldest supported version is in question.
 */
const VERSIONS: [string, ToolName, boolean][] = [
  ['Pebble v1.32.1 (the rock’s)', 'pebble', true],
  ['Pebble v1.1.1 (the oldest supported)', 'pebble-oldest', false],
];

describePebble.each(VERSIONS)('the web layer under the real %s', (_version, tool, supervises) => {
  const supervised = supervises ? test : test.failing;
  let pod: Pod | undefined;

  beforeAll(async () => {
    ensureTools([tool]);
    pod = startPod(toolPath(tool), await freePort(), await freePort());
  }, 600_000);

  afterAll(() => {
    if (pod && pod.proc.exitCode === null) pod.proc.kill('SIGKILL');
    if (pod && existsSync(pod.pidFile)) {
      try {
        process.kill(Number(readFileSync(pod.pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  test('boots: liveness (`/v1/health?level=alive` on the --http port) and readiness (/srv/status) answer within the startup probe’s bound', async () => {
    const p = pod as Pod;
    await within(
      30,
      `Pebble's health endpoint (output so far:\n${p.output()})`,
      async () => (await httpStatus(`http://127.0.0.1:${p.healthPort}/v1/health?level=alive`)) === 200,
    );
    await within(30, 'the app behind the layer answering /srv/status', async () => (await httpStatus(`http://127.0.0.1:${p.appPort}/srv/status`)) === 200);
    expect(p.proc.exitCode).toBeNull();
  });

  supervised('a crash of the app is restarted by Pebble (the layer’s default on-failure: restart)', async () => {
    const p = pod as Pod;
    const first = Number(readFileSync(p.pidFile, 'utf8'));
    process.kill(first, 'SIGKILL');
    await within(
      15,
      `a new app process after the crash (Pebble's output:\n${p.output().slice(-3000)})`,
      () => existsSync(p.pidFile) && Number(readFileSync(p.pidFile, 'utf8')) !== first,
    );
    await within(15, 'the restarted app answering /srv/status', async () => (await httpStatus(`http://127.0.0.1:${p.appPort}/srv/status`)) === 200);
  });

  supervised('SIGTERM stops everything within the pod’s grace period, and the app’s last log lines reach Pebble’s output', async () => {
    const p = pod as Pod;
    const exited = new Promise<number>((resolve) => p.proc.once('exit', () => resolve(Date.now())));
    const sent = Date.now();
    p.proc.kill('SIGTERM');
    const seconds = ((await exited) - sent) / 1000;
    expect(seconds).toBeLessThan(p.grace);
    expect(p.output()).toContain('stand-in: TERM received, shutting down');
  });
});
