// @ts-check
'use strict';
/**
 * `npm run synth [-- OPTIONS]`: main.ts's synth, run as the package runs it, from one bundled
 * file with V8's code cache (scripts/build/launcher.js), instead of ~270 modules loaded one
 * by one. The bundle is rebuilt whenever anything it was built from changed: its first line
 * lists every file esbuild read (ours and the dependencies') with a hash of the text it read,
 * and a run first hashes those files again; a new import can only come from a changed file,
 * so the list is complete. It can never run stale code, only build again. Bundle and list are
 * one file, written whole (temporary file and rename), in $SWC_REGISTER_CACHE/bundle or
 * .cache/swc/bundle. With source maps on (NODE_OPTIONS=--enable-source-maps) it runs the
 * sources through scripts/swc-register.js instead, for stacks with .ts lines.
 */
const { createHash } = require('crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('fs');
const { dirname, extname, join, relative } = require('path');

const ROOT = dirname(__dirname);
const CACHE = join(process.env.SWC_REGISTER_CACHE || join(ROOT, '.cache', 'swc'), 'bundle');
const BUNDLE = join(CACHE, 'synth.js');
const HEADER = '// inputs ';
/** Bump when this file changes what it writes. */
const FORMAT = 1;
/** The bundle's entry: main.ts's runner. */
const ENTRY = `const { main } = require('./app/synth-cli');
const { exitCode, stdout, stderr } = main(process.argv.slice(2));
process.stderr.write(stderr);
process.stdout.write(stdout);
process.exitCode = exitCode;
`;

/** @param {string | Buffer} text */
const hash = (text) => createHash('sha1').update(text).digest('hex');

/** The bundle when every input still has the text it was built from, else undefined. */
function freshBundle() {
  let text;
  try {
    text = readFileSync(BUNDLE, 'utf8');
  } catch {
    return undefined;
  }
  const end = text.indexOf('\n');
  if (!text.startsWith(HEADER)) return undefined;
  /** @type {{ format: number, node: string, inputs: Record<string, string> }} */
  const header = JSON.parse(text.slice(HEADER.length, end));
  if (header.format !== FORMAT || header.node !== process.version) return undefined;
  for (const [file, digest] of Object.entries(header.inputs)) {
    try {
      if (hash(readFileSync(join(ROOT, file))) !== digest) return undefined;
    } catch {
      return undefined; // gone
    }
  }
  return BUNDLE;
}

/** Bundles main.ts's synth, recording the text of every file esbuild reads. */
async function buildBundle() {
  const esbuild = require('esbuild');
  const { bundleOptions } = require('./build/esbuild-options.js');
  /** @type {Record<string, string>} */
  const inputs = {};
  /** @type {Record<string, import('esbuild').Loader>} */
  const LOADERS = { '.ts': 'ts', '.js': 'js', '.cjs': 'js', '.mjs': 'js', '.json': 'json' };
  const options = bundleOptions(ROOT);
  const result = await esbuild.build({
    ...options,
    stdin: { contents: ENTRY, resolveDir: ROOT, sourcefile: 'npm-run-synth.js', loader: 'js' },
    write: false,
    outfile: BUNDLE,
    plugins: [
      ...options.plugins,
      {
        name: 'record-inputs',
        setup(b) {
          b.onLoad({ filter: /.*/ }, (args) => {
            const loader = LOADERS[extname(args.path)];
            if (!loader) return undefined;
            const contents = readFileSync(args.path);
            inputs[relative(ROOT, args.path)] = hash(contents);
            return { contents, loader };
          });
        },
      },
    ],
  });
  const header = `${HEADER}${JSON.stringify({ format: FORMAT, node: process.version, inputs })}\n`;
  mkdirSync(CACHE, { recursive: true });
  const temporary = `${BUNDLE}.${process.pid}.tmp`;
  writeFileSync(temporary, header + result.outputFiles[0].text);
  renameSync(temporary, BUNDLE);
  return BUNDLE;
}

/** @param {string} bundle */
function run(bundle) {
  require('./build/launcher.js').runBundle(bundle, join(CACHE, 'v8'));
}

if (process.sourceMapsEnabled) {
  require('./swc-register.js');
  const { main } = require('../app/synth-cli');
  const { exitCode, stdout, stderr } = main(process.argv.slice(2));
  process.stderr.write(stderr);
  process.stdout.write(stdout);
  process.exitCode = exitCode;
} else {
  const bundle = freshBundle();
  if (bundle) run(bundle);
  else
    buildBundle().then(run, (e) => {
      process.stderr.write(`npm run synth: bundling failed: ${e.message}\n`);
      process.exitCode = 1;
    });
}
