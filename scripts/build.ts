import { spawnSync } from 'child_process';
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'fs';
import { join } from 'path';

/**
 * `npm run build` (and `prepack`, so `npm pack` always ships a fresh one) writes build/:
 * - tsc's output of lib/, app/ and imports/ (tsconfig.build.json): the library
 *   (`import { Discourse } from 'discourse-cdk8s'`) and `discourse-cdk8s/sites`, with
 *   declarations and source maps;
 * - build/cli.js, the `discourse-cdk8s` executable: app/bin.ts and everything it runs
 *   (cdk8s, constructs, yaml, the Kubernetes imports) in one file, so a run loads one
 *   module instead of about a hundred, and only the `Cpu` of cdk8s-plus-28
 *   (scripts/build/cdk8s-plus-cpu.ts) instead of all of it. Commands are `require`d lazily
 *   in app/cli.ts; esbuild keeps them as functions that run on first use.
 */
const ROOT = join(__dirname, '..');

export async function buildPackage(): Promise<void> {
  rmSync(join(ROOT, 'build'), { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed:\n${tsc.stdout}${tsc.stderr}`);
  const out = join(ROOT, 'build', 'cli.js');
  await build({
    entryPoints: [join(ROOT, 'app', 'bin.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    // Source maps name the repository's files, relative to build/, not this machine's paths.
    sourceRoot: '',
    legalComments: 'linked',
    banner: { js: '#!/usr/bin/env node' },
    // Class names are kept: cdk8s and constructs report them in errors.
    keepNames: true,
    logLevel: 'warning',
    plugins: [
      {
        name: 'cdk8s-plus-cpu',
        setup(b) {
          b.onResolve({ filter: /^cdk8s-plus-28$/ }, () => ({ path: join(ROOT, 'scripts', 'build', 'cdk8s-plus-cpu.ts') }));
        },
      },
    ],
  });
  chmodSync(out, 0o755);
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
