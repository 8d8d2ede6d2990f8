import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { renderSites } from '../app/synth';

/**
 * `npm run bench`: synthesis is the hot path in CI and in GitOps plugins, so
 * time it the way they run it. Prints the median of several runs for
 * (1) rendering the example site in-process, (2) a 25-site fleet in-process,
 * (3) the whole `npm run synth -- --check` command, process start included.
 */
const ROOT = join(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function bench(name: string, fn: () => void): void {
  fn(); // warm-up: module loading and JIT are measured in (3), not here
  const samples = Array.from({ length: RUNS }, () => time(fn));
  process.stdout.write(
    `${name.padEnd(44)} median ${median(samples).toFixed(1).padStart(7)} ms  (min ${Math.min(...samples).toFixed(1)}, max ${Math.max(...samples).toFixed(1)}, n=${RUNS})\n`,
  );
}

const example = readFileSync(join(ROOT, 'sites', 'example.yaml'), 'utf8');
const fleet = mkdtempSync(join(tmpdir(), 'discourse-bench-'));
for (let i = 0; i < 25; i++) {
  writeFileSync(
    join(fleet, `site${i}.yaml`),
    example.replace('namespace: discourse', `namespace: site${i}`).replace('discourse.example.com', `site${i}.example.com`),
  );
}

bench('example site, in-process', () => {
  if (!renderSites(join(ROOT, 'sites')).tree) throw new Error('example failed');
});
bench('25-site fleet, in-process', () => {
  if (!renderSites(fleet).tree) throw new Error('fleet failed');
});
const cli = join(ROOT, 'node_modules', '.bin', 'ts-node');
bench('npm run synth -- --check (new process)', () => {
  execFileSync(cli, ['--swc', join(ROOT, 'main.ts'), '--check'], { cwd: ROOT, stdio: 'ignore' });
});
rmSync(fleet, { recursive: true });
