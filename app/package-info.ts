import { existsSync, readFileSync } from 'fs';
import { dirname, join } from 'path';

/**
 * The folder of this package's package.json, found from where the code runs: app/ in this
 * repository, build/app/ (tsc) or build/ (the bundled CLI) in the installed package.
 */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'discourse-cdk8s') return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json of discourse-cdk8s above ${from}`);
  }
}

/** This package's version (what `init` pins). */
export function packageVersion(root: string = packageRoot()): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}
