// @ts-check
'use strict';
/**
 * `node -r ./scripts/swc-register.js main.ts`: runs the TypeScript sources of this
 * repository without type-checking them (`npm test` and the editor do that), through
 * @swc/core, with a cache on disk so that a run transpiles only what changed.
 *
 * It can never run stale code: every time a .ts file is loaded its current text is
 * read and hashed together with the compiler version and options, and the cached
 * JavaScript is looked up by that hash. An edit, a checkout or a new @swc/core gives
 * a new hash, so a fresh transpile; nothing relies on modification times. A cache
 * entry is written to a temporary file and renamed, so a reader never sees half of
 * one. The cache is .cache/swc/ (gitignored; delete it any time), or $SWC_REGISTER_CACHE.
 *
 * Stacks point into the .ts files (inline source maps). A .js file next to a .ts file
 * of this repository (tsc emit, say) is never loaded in its place: the .ts wins.
 */
const { createHash } = require('crypto');
const { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, existsSync } = require('fs');
const Module = require('module');
const { dirname, join, relative, sep } = require('path');

const ROOT = dirname(__dirname);
const CACHE = process.env.SWC_REGISTER_CACHE || join(ROOT, '.cache', 'swc');
/** Bump when this file changes what it writes. */
const FORMAT = 1;

/** Mirrors tsconfig.json (target ES2022, CommonJS, esModuleInterop); test/swc-register.test.ts holds them together. */
const SWC_OPTIONS = {
  swcrc: false,
  configFile: false,
  sourceMaps: 'inline',
  module: { type: 'commonjs', noInterop: false, strictMode: true },
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript' },
    keepClassNames: true,
    transform: { useDefineForClassFields: true },
  },
};

/** @type {typeof import('@swc/core') | undefined} */
let swc;
let salt;

/** The @swc/core version and our options: part of every key, so a new compiler never reuses old output. */
function compilerSalt() {
  if (salt === undefined) {
    const { version } = JSON.parse(readFileSync(require.resolve('@swc/core/package.json'), 'utf8'));
    salt = `${FORMAT}\0${version}\0${JSON.stringify(SWC_OPTIONS)}\0`;
  }
  return salt;
}

/**
 * The JavaScript for `filename` whose text is `source`: from the cache when this exact
 * text was transpiled before by this exact compiler, else transpiled now and cached.
 * @param {string} source
 * @param {string} filename
 */
function transpile(source, filename) {
  const rel = relative(ROOT, filename);
  const hash = createHash('sha256').update(compilerSalt()).update(rel).update('\0').update(source).digest('hex').slice(0, 32);
  // One folder per source file: on a miss, older versions of the same file are removed, so the cache stays small.
  const dir = join(CACHE, rel.split(sep).join('+'));
  const entry = join(dir, `${hash}.js`);
  try {
    return readFileSync(entry, 'utf8');
  } catch {
    // not cached yet
  }
  swc ??= require('@swc/core');
  const { code } = swc.transformSync(source, { ...SWC_OPTIONS, filename });
  try {
    mkdirSync(dir, { recursive: true });
    for (const old of readdirSync(dir)) if (old !== `${hash}.js`) rmSync(join(dir, old), { force: true });
    const tmp = `${entry}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, entry);
  } catch {
    // a read-only checkout still runs, it only transpiles every time
  }
  return code;
}

/** Files of this repository (not of a dependency), where .ts sources live. */
const ours = (filename) => filename.startsWith(ROOT + sep) && !filename.includes(`${sep}node_modules${sep}`);

const loadJs = Module._extensions['.js'];

/** @param {NodeJS.Module & { _compile(code: string, filename: string): void }} module @param {string} filename */
function loadTs(module, filename) {
  if (!ours(filename)) return loadJs(module, filename);
  module._compile(transpile(readFileSync(filename, 'utf8'), filename), filename);
}

if (!Module._extensions['.ts']) {
  process.setSourceMapsEnabled(true);
  Module._extensions['.ts'] = loadTs;
  Module._extensions['.js'] = function loadJsUnlessShadowed(module, filename) {
    const ts = filename.slice(0, -3) + '.ts';
    if (ours(filename) && existsSync(ts)) return loadTs(module, ts);
    return loadJs(module, filename);
  };
}

module.exports = { transpile, CACHE, SWC_OPTIONS };
