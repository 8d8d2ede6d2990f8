import { ChildProcess, spawn, spawnSync } from 'child_process';
import { randomUUID } from 'crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { get } from 'http';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { LAYER_FILE } from '../../lib/pebble/discourse-layer';

/**
 * A pod's Pebble run on this machine: `$PEBBLE` laid out as the pod has it (the layer
 * ConfigMap at `$PEBBLE/layers/001-discourse.yaml`), the rendered container args, and a
 * stand-in for the Discourse command. Every process it starts carries a marker in its
 * environment (Pebble passes its own environment to services), so `stop` finds and kills
 * them all, also those Pebble left behind.
 */

/** A free loopback port (bound on port 0, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port from listen(0)'))));
    });
  });
}

/** The HTTP status of a GET (0 when there is no answer within `timeoutMs`). */
export function httpStatus(url: string, timeoutMs = 1000): Promise<number> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

/** Waits until `check` holds, at most `seconds`; returns how long it took, or throws naming `what`. */
export async function within(seconds: number, what: () => string, check: () => Promise<boolean> | boolean): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > seconds * 1000) throw new Error(`not within ${seconds} s: ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return (Date.now() - started) / 1000;
}

/**
 * Replaces each `from` in `text` by its `to`; throws when a `from` does not occur, so a
 * change in what lib/ renders fails the test instead of leaving the real value in place.
 */
export function substitute(text: string, mapping: readonly (readonly [string, string])[]): string {
  let out = text;
  for (const [from, to] of mapping) {
    if (!out.includes(from)) throw new Error(`the rendered layer has no ${JSON.stringify(from)} to substitute`);
    out = out.split(from).join(to);
  }
  return out;
}

/**
 * The stand-in for the Discourse command: serves GET /srv/status with 200 on
 * `127.0.0.1:<port>`, prints lines to stdout and appends them to `<logDir>/production.log`
 * (which the layer's log tailer copies), writes its pid to `<pidFile>`; SIGUSR2 makes it
 * crash (exit 1), SIGUSR1 makes it hang (it keeps accepting connections and never
 * answers), and SIGTERM makes it log a line and exit 0 after 500 ms, as Unicorn quits.
 */
export const STAND_IN = `
const http = require('http');
const fs = require('fs');
const [port, logDir, pidFile] = process.argv.slice(2);
const log = (line) => { process.stdout.write(line + '\\n'); fs.appendFileSync(logDir + '/production.log', line + ' (log file)\\n'); };
let hung = false;
fs.writeFileSync(pidFile, String(process.pid));
http.createServer((req, res) => {
  if (hung) return;
  res.writeHead(req.url === '/srv/status' ? 200 : 404);
  res.end('ok');
}).listen(Number(port), '127.0.0.1', () => log('stand-in ' + process.pid + ': serving on ' + port));
process.on('SIGUSR1', () => { log('stand-in ' + process.pid + ': hanging'); hung = true; });
process.on('SIGUSR2', () => { log('stand-in ' + process.pid + ': crashing'); process.exit(1); });
process.on('SIGTERM', () => { log('stand-in ' + process.pid + ': TERM received, shutting down'); setTimeout(() => process.exit(0), 500); });
`;

export interface PodOptions {
  /** The Pebble binary. */
  readonly pebble: string;
  /** The rendered layer text (the ConfigMap's 001-discourse.yaml). */
  readonly layer: string;
  /** The service command as rendered, which the stand-in replaces. */
  readonly command: string;
  /** The rendered container args (`run --create-dirs --http :PORT --verbose`). */
  readonly args: readonly string[];
  /** The port the layer's checks ask the app on (Unicorn's); none for a layer that asks no port (Sidekiq's). */
  readonly appPortInLayer?: number;
  /** Where the layer expects the app's log files. */
  readonly logDirInLayer: string;
  /** Further substitutions in the layer text (e.g. shorter check periods), applied last; `$POD_DIR` in a replacement is the pod's temporary folder. */
  readonly extra?: readonly (readonly [string, string])[];
}

export interface PebbleExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Date.now() when it exited. */
  readonly at: number;
}

export class PebblePod {
  static async create(options: PodOptions): Promise<PebblePod> {
    return new PebblePod(options, await freePort(), await freePort());
  }

  public readonly dir: string;
  public readonly pebbleDir: string;
  public readonly pidFile: string;
  public readonly layerText: string;
  public readonly runArgs: readonly string[];
  private proc?: ChildProcess;
  private out = '';
  private readonly marker = `discourse-cdk8s-pebble-test-${randomUUID()}`;
  private exit?: Promise<PebbleExit>;

  private constructor(
    private readonly options: PodOptions,
    public readonly appPort: number,
    public readonly healthPort: number,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'pebble-pod-'));
    const logDir = join(this.dir, 'log');
    mkdirSync(logDir);
    const standIn = join(this.dir, 'stand-in.js');
    writeFileSync(standIn, STAND_IN);
    this.pidFile = join(this.dir, 'app.pid');
    this.layerText = substitute(options.layer, [
      [options.command, `${process.execPath} ${standIn} ${appPort} ${logDir} ${this.pidFile}`],
      [options.logDirInLayer, logDir],
      ...(options.appPortInLayer === undefined ? [] : [[`localhost:${options.appPortInLayer}/`, `localhost:${appPort}/`] as const]),
      ...(options.extra ?? []).map(([from, to]) => [from, to.split('$POD_DIR').join(this.dir)] as const),
    ]);
    // $PEBBLE as the pod has it: a writable folder with the ConfigMap mounted at layers/.
    this.pebbleDir = join(this.dir, 'pebble');
    mkdirSync(join(this.pebbleDir, 'layers'), { recursive: true });
    writeFileSync(join(this.pebbleDir, 'layers', LAYER_FILE), this.layerText);
    // The rendered args, with the --http port (":38813", all interfaces) moved to a free loopback one.
    const http = options.args.indexOf('--http');
    if (http < 0 || !/^:\d+$/.test(options.args[http + 1] ?? '')) throw new Error(`the container args have no --http :PORT: ${options.args.join(' ')}`);
    this.runArgs = options.args.map((a, i) => (i === http + 1 ? `127.0.0.1:${healthPort}` : a));
  }

  /** The environment Pebble runs with: the container's (PEBBLE) plus PATH, HOME and the marker. */
  get env(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, HOME: this.dir, PEBBLE: this.pebbleDir, DISCOURSE_CDK8S_TEST_MARKER: this.marker };
  }

  start(): void {
    const proc = spawn(this.options.pebble, this.runArgs, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exit = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
    this.proc = proc;
  }

  /** Pebble's stdout and stderr so far (with --verbose, the services' output too). */
  output(): string {
    return this.out;
  }

  /** The end of the output, for failure messages. */
  tail(chars = 3000): string {
    return `Pebble's output (last ${chars} chars):\n${this.out.slice(-chars)}`;
  }

  get exitCode(): number | null {
    return this.proc?.exitCode ?? null;
  }

  /** Resolves when Pebble exits. */
  exited(): Promise<PebbleExit> {
    if (!this.exit) throw new Error('Pebble was not started');
    return this.exit;
  }

  signal(sig: NodeJS.Signals): void {
    this.proc?.kill(sig);
  }

  /** SIGTERM, as the kubelet sends it; resolves with Pebble's exit, or undefined if it still runs after `graceSeconds`, and the seconds it took. */
  async terminate(graceSeconds: number): Promise<{ exit?: PebbleExit; seconds: number }> {
    const sent = Date.now();
    this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([this.exited(), new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), graceSeconds * 1000)))]);
    clearTimeout(timer);
    return { exit, seconds: ((exit?.at ?? Date.now()) - sent) / 1000 };
  }

  /** The pid the stand-in wrote last (undefined before it first started). */
  appPid(): number | undefined {
    return existsSync(this.pidFile) ? Number(readFileSync(this.pidFile, 'utf8')) : undefined;
  }

  /** The Pebble CLI against this pod's daemon (the unix socket under $PEBBLE), bounded to 10 s. */
  cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(this.options.pebble, args, { env: this.env, encoding: 'utf8', timeout: 10_000 });
    return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
  }

  /** The `Current` column of `pebble services` for `service` (active, backoff, error, inactive), or undefined. */
  serviceState(service: string): string | undefined {
    const r = this.cli('services', service);
    const row = r.stdout.split('\n').find((l) => l.split(/\s+/)[0] === service);
    return row?.split(/\s+/)[2];
  }

  /** Pids of every process carrying this pod's marker: Pebble and whatever it started. */
  processes(): number[] {
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`DISCOURSE_CDK8S_TEST_MARKER=${this.marker}`)) pids.push(Number(entry));
      } catch {
        // gone, or not ours to read
      }
    }
    return pids;
  }

  /** Kills Pebble and everything it started (SIGKILL), then removes the temporary folder. */
  async stop(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const pids = this.processes();
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const left = this.processes();
    rmSync(this.dir, { recursive: true, force: true });
    if (left.length > 0) throw new Error(`processes of the Pebble pod survived SIGKILL: ${left.join(', ')}`);
  }
}
