import { spawnSync } from 'child_process';
import { cpus } from 'os';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { parseArgs } from 'util';
import { renderSites, synthesize } from '../app/synth';

/**
 * `npm run bench [-- --small]`: synthesis is the hot path in CI and in GitOps plugins, so
 * time it the way they run it, as ratios to a floor that does not depend on the machine
 * as much as milliseconds do. Prints and writes (bench/results.json; --small:
 * .cache/bench/results-small.json):
 * - floor: a Node process that only loads cdk8s-plus-28;
 * - synth: the `npm run synth` script command on the example (scripts/synth-bundled.js),
 *   with its cache warm and cold (a fresh clone), the sources one by one through
 *   swc-register, and stock `ts-node main.ts` (type-checking, as `cdk8s init` projects run it);
 * - the installed package (npm pack, then npm install of the tarball into an empty project):
 *   `discourse-cdk8s synth --check` with its V8 code cache warm and cold (not in --small);
 * - in-process cost of one site;
 * - fleets of 10, 100 and 1000 copies of the example as child processes: time, ratio,
 *   peak RSS.
 * Never reads sites/: everything is generated from test/fixtures/sites/example.yaml.
 */
const ROOT = join(__dirname, '..');
const REGISTER = join(ROOT, 'scripts', 'swc-register.js');
const EXAMPLE = readFileSync(join(ROOT, 'test', 'fixtures', 'sites', 'example.yaml'), 'utf8');

/** A fleet run in this process (the child side of `fleet()`): prints time and peak RSS as JSON. */
function child(sitesDir: string, outdir: string): void {
  const start = process.hrtime.bigint();
  const result = synthesize({ sitesDir, outdir });
  if (result.exitCode !== 0) throw new Error(result.messages.join('\n'));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(JSON.stringify({ ms, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeProcess(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * `npm pack` (which builds) and an install of the tarball into an empty project, from the
 * registry's dependencies as a user gets them; returns the path of its executable.
 */
function installPackage(work: string, env: NodeJS.ProcessEnv): string {
  const npmEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('npm_')));
  const npm = (args: string[], cwd: string) => {
    const r = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], { cwd, env: npmEnv, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const packed = npm(['pack', '--pack-destination', work, '--json'], ROOT);
  const [{ filename }] = JSON.parse(packed.slice(packed.indexOf('['))) as { filename: string }[];
  const project = join(work, 'installed');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), '{ "private": true }\n');
  npm(['install', join(work, filename)], project);
  return join(project, 'node_modules', 'discourse-cdk8s', 'build', 'cli.js');
}

/** Sites named site0000…, each the example with its own namespace and host. */
function writeFleet(dir: string, n: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const id = `site${String(i).padStart(4, '0')}`;
    writeFileSync(join(dir, `${id}.yaml`), EXAMPLE.replace('namespace: discourse', `namespace: ${id}`).replace('discourse.example.com', `${id}.example.com`));
  }
}

function main(smallOption: boolean): void {
  const small = smallOption || process.env.BENCH_SMALL === '1';
  const runs = small ? 3 : Number(process.env.BENCH_RUNS ?? 11);
  const fleets = small ? [2, 10] : [10, 100, 1000];
  const work = mkdtempSync(join(tmpdir(), 'discourse-bench-'));
  const env = { ...process.env, CDK8S_OUTDIR: '', CDK8S_CHECK_UPGRADE: 'false' };
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };

  // The example as a repository: sites/ and a synthesized dist/, so `--check` does all of synth but the write.
  const repo = join(work, 'repo');
  writeFleet(join(repo, 'sites'), 0);
  writeFileSync(join(repo, 'sites', 'example.yaml'), EXAMPLE);
  const checkArgs = ['--check', '--sites', join(repo, 'sites'), '--out', join(repo, 'dist')];
  // What `npm run synth` runs: the bundle of main.ts's synth, rebuilt when a source changed.
  const synthArgs = [join(ROOT, 'scripts', 'synth-bundled.js'), ...checkArgs];
  // The sources one by one through swc-register (what cdk8s.yaml's app and NODE_OPTIONS=--enable-source-maps run).
  const registerArgs = ['-r', REGISTER, join(ROOT, 'main.ts'), ...checkArgs];
  if (synthesize({ sitesDir: join(repo, 'sites'), outdir: join(repo, 'dist') }).exitCode !== 0) throw new Error('the example does not render');

  // The installed package (not in --small: packing and installing take half a minute): its bin, with its code cache warm and cold.
  const cli = small ? undefined : installPackage(work, env);
  const packageArgs = cli ? [cli, 'synth', ...checkArgs] : [];
  const packageCache = join(work, 'package-cache');
  if (cli) timeProcess(process.execPath, packageArgs, { ...env, DISCOURSE_CDK8S_CACHE: packageCache }); // fills it for `packageWarm`

  // Interleaved, so load on the machine affects every command alike.
  const floor: number[] = [];
  const warm: number[] = [];
  const cold: number[] = [];
  const register: number[] = [];
  const packageWarm: number[] = [];
  const packageCold: number[] = [];
  timeProcess(process.execPath, synthArgs, env); // fills the cache for `warm`
  timeProcess(process.execPath, registerArgs, env); // and for `register`
  for (let i = 0; i < runs; i++) {
    floor.push(timeProcess(process.execPath, ['-e', "require('cdk8s-plus-28')"], env));
    warm.push(timeProcess(process.execPath, synthArgs, env));
    register.push(timeProcess(process.execPath, registerArgs, env));
    const cache = join(work, `cold-cache-${i}`);
    cold.push(timeProcess(process.execPath, synthArgs, { ...env, SWC_REGISTER_CACHE: cache }));
    rmSync(cache, { recursive: true, force: true });
    if (cli) {
      packageWarm.push(timeProcess(process.execPath, packageArgs, { ...env, DISCOURSE_CDK8S_CACHE: packageCache }));
      const fresh = join(work, `package-cold-${i}`);
      packageCold.push(timeProcess(process.execPath, packageArgs, { ...env, DISCOURSE_CDK8S_CACHE: fresh }));
      rmSync(fresh, { recursive: true, force: true });
    }
  }
  const stockRuns = small ? 1 : 3;
  const stock: number[] = [];
  for (let i = 0; i < stockRuns; i++) stock.push(timeProcess(join(ROOT, 'node_modules', '.bin', 'ts-node'), registerArgs.slice(2), env));

  const f = median(floor);
  const results: Record<string, unknown> = {
    machine: { nproc: cpus().length, cpu: cpus()[0]?.model.trim(), node: process.version, small },
    floorMs: f,
    synthWarmMs: median(warm),
    synthWarmPerFloor: median(warm) / f,
    synthColdCacheMs: median(cold),
    synthColdCachePerFloor: median(cold) / f,
    swcRegisterWarmMs: median(register),
    swcRegisterWarmPerFloor: median(register) / f,
    stockTsNodeMs: median(stock),
    synthWarmPerStock: median(warm) / median(stock),
  };
  say(`machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}${small ? ' (small mode)' : ''}; medians of ${runs}`);
  say(`floor (node -e "require('cdk8s-plus-28')")     ${f.toFixed(0).padStart(6)} ms`);
  say(`npm run synth --check, cache warm              ${median(warm).toFixed(0).padStart(6)} ms  ${(median(warm) / f).toFixed(2)}× floor`);
  say(`npm run synth --check, cold (fresh clone)      ${median(cold).toFixed(0).padStart(6)} ms  ${(median(cold) / f).toFixed(2)}× floor`);
  say(`sources through swc-register, cache warm        ${median(register).toFixed(0).padStart(6)} ms  ${(median(register) / f).toFixed(2)}× floor`);
  if (cli) {
    Object.assign(results, {
      packageWarmMs: median(packageWarm),
      packageWarmPerFloor: median(packageWarm) / f,
      packageColdMs: median(packageCold),
      packageColdPerFloor: median(packageCold) / f,
    });
    say(
      `installed package: discourse-cdk8s synth --check, code cache warm ${median(packageWarm).toFixed(0).padStart(6)} ms  ${(median(packageWarm) / f).toFixed(2)}× floor`,
    );
    say(
      `installed package: same, cold (first run after install) ${median(packageCold).toFixed(0).padStart(6)} ms  ${(median(packageCold) / f).toFixed(2)}× floor`,
    );
  } else say('installed package: not in --small (npm run bench packs and installs it)');
  say(
    `stock ts-node main.ts (type-checks), n=${stockRuns}          ${median(stock).toFixed(0).padStart(6)} ms  ours/stock ${(median(warm) / median(stock)).toFixed(2)}`,
  );

  // One site in-process: parse, resolve, build, render (JIT warm).
  const one = join(repo, 'sites');
  renderSites(one);
  const perSite: number[] = [];
  for (let i = 0; i < Math.max(runs, 20); i++) {
    const start = process.hrtime.bigint();
    if (!renderSites(one).tree) throw new Error('example failed');
    perSite.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  results.perSiteInProcessMs = median(perSite);
  say(`one site in-process (parse → render)            ${median(perSite).toFixed(1).padStart(6)} ms`);

  const fleetResults: { sites: number; ms: number; maxRssMiB: number }[] = [];
  for (const n of fleets) {
    const dir = join(work, `fleet${n}`);
    writeFleet(dir, n);
    const r = spawnSync(process.execPath, ['-r', REGISTER, __filename, '--child', dir, join(work, `out${n}`)], { cwd: ROOT, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`fleet ${n} failed:\n${r.stderr}`);
    const { ms, maxRssMiB } = JSON.parse(r.stdout) as { ms: number; maxRssMiB: number };
    fleetResults.push({ sites: n, ms, maxRssMiB });
    const prev = fleetResults.length > 1 ? fleetResults[fleetResults.length - 2] : undefined;
    say(
      `fleet of ${String(n).padEnd(5)} ${ms.toFixed(0).padStart(8)} ms  ${(ms / n).toFixed(1).padStart(5)} ms/site  peak RSS ${maxRssMiB.toFixed(0)} MiB` +
        (prev ? `  ${(ms / prev.ms).toFixed(1)}× the ${prev.sites}` : ''),
    );
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(work, `out${n}`), { recursive: true, force: true });
  }
  results.fleets = fleetResults;
  rmSync(work, { recursive: true, force: true });

  const file = small ? join(ROOT, '.cache', 'bench', 'results-small.json') : join(ROOT, 'bench', 'results.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2)}\n`);
  process.stdout.write(`wrote ${file.slice(ROOT.length + 1)}\n`);
}

const USAGE = [
  'Usage: npm run bench [-- --small]',
  'Times synthesis against a floor (a node that loads cdk8s-plus-28); writes bench/results.json (--small: .cache/bench/results-small.json).',
  '',
  '  --small        a quick run (seconds), as CI runs it',
  '  -h, --help     print this help and exit',
].join('\n');

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') child(argv[1], argv[2]);
  else {
    let small = false;
    try {
      const { values } = parseArgs({
        args: argv,
        options: { small: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
        strict: true,
        allowPositionals: false,
      });
      if (values.help) {
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
      }
      small = values.small === true;
    } catch (e) {
      process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    main(small);
  }
}
