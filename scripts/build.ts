import { spawnSync } from 'child_process';
import { BuildOptions, build } from 'esbuild';
import { chmodSync, copyFileSync, rmSync } from 'fs';
import { join } from 'path';

/**
 * `npm run build` (and `prepack`, so `npm pack` always ships a fresh one) writes build/:
 * - tsc's output of lib/, app/ and imports/ (tsconfig.build.json): the library
 *   (`import { Discourse } from 'discourse-cdk8s'`) and `discourse-cdk8s/sites`, with
 *   declarations and source maps;
 * - build/cli-bundle.js: app/bin.ts and everything it runs (cdk8s, constructs, yaml, the
 *   Kubernetes imports) in one file, so a run loads one module instead of about a hundred,
 *   and only the `Cpu` of cdk8s-plus-28 (scripts/build/cdk8s-plus-cpu.ts) instead of all
 *   of it; cdk8s's own copy of yaml is the same version as ours and is bundled once.
 *   Commands are `require`d lazily in app/cli.ts; esbuild keeps them as functions that
 *   run on first use;
 * - build/cli.js, the `discourse-cdk8s` executable (scripts/build/launcher.js): runs the
 *   bundle with V8's code cache.
 */
const ROOT = join(__dirname, '..');
// Plain JavaScript, shared with scripts/synth-bundled.js, which runs without a TypeScript loader.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { bundleOptions } = require('./build/esbuild-options.js') as { bundleOptions: (root: string) => BuildOptions };

export async function buildPackage(): Promise<void> {
  rmSync(join(ROOT, 'build'), { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed:\n${tsc.stdout}${tsc.stderr}`);
  const out = join(ROOT, 'build', 'cli-bundle.js');
  await build({
    ...bundleOptions(ROOT),
    entryPoints: [join(ROOT, 'app', 'bin.ts')],
    outfile: out,
    sourcemap: 'linked',
    // Source maps name the repository's files, relative to build/, not this machine's paths.
    sourceRoot: '',
    legalComments: 'linked',
  });
  const cli = join(ROOT, 'build', 'cli.js');
  copyFileSync(join(ROOT, 'scripts', 'build', 'launcher.js'), cli);
  chmodSync(cli, 0o755);
}

if (require.main === module) {
  buildPackage().then(
    () => process.stdout.write('wrote build/ (tsc: lib, app, imports; esbuild: build/cli.js)\n'),
    (e: Error) => {
      process.stderr.write(`build: ${e.message}\n`);
      process.exitCode = 1;
    },
  );
}
