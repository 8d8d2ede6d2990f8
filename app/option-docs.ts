import { existsSync, readFileSync } from 'fs';
import { packageRoot } from './package-info';
import { join } from 'path';
import { OPTIONS, OptionSpec } from '../lib/model/config';

/** What a charm option's doc comment says: the sentence and the charm's page for it. */
export interface OptionDoc {
  readonly spec: OptionSpec;
  /** The first paragraph of the prop's doc comment in DiscourseConfig. */
  readonly doc: string;
  /** The charm's documentation of the option (`@see`). */
  readonly see: string;
  /** What the doc comment says of an option without a value (`@default - the site name`). @default - none */
  readonly unsetDefault?: string;
}

/**
 * lib/model/config.ts in this repository; in the installed package, which ships no TypeScript
 * sources, its declaration file, where tsc keeps the doc comments (the package test checks
 * that both give the same schema).
 */
function configSource(): string {
  const root = packageRoot();
  const source = join(root, 'lib', 'model', 'config.ts');
  return existsSync(source) ? source : join(root, 'build', 'lib', 'model', 'config.d.ts');
}

/**
 * The charm options with their docs. The docs are the doc comments of DiscourseConfig in
 * lib/model/config.ts (what a TypeScript user reads), so the schema and docs/reference.md say the same words
 * and nobody writes them twice; OPTIONS gives names, kinds, values and defaults.
 */
export function charmOptionDocs(): OptionDoc[] {
  const text = readFileSync(configSource(), 'utf8');
  const start = text.indexOf('export interface DiscourseConfig');
  const body = text.slice(start, text.indexOf('\n}\n', start));
  return OPTIONS.map((spec) => {
    const m = new RegExp(`/\\*\\*\\n((?:\\s*\\*(?!/).*\\n)+?)\\s*\\*/\\n\\s*readonly ${spec.prop}\\?`).exec(body);
    if (!m) throw new Error(`lib/model/config.ts: no doc comment above DiscourseConfig.${spec.prop}`);
    const lines = m[1].split('\n').map((l) => l.replace(/^\s*\*\s?/, ''));
    const doc = lines
      .filter((l) => !l.startsWith('@'))
      .join(' ')
      .replace(/\s+/g, ' ')
      .trim();
    const see =
      lines
        .find((l) => l.startsWith('@see '))
        ?.slice(5)
        .trim() ?? '';
    const unset = lines
      .find((l) => l.startsWith('@default - '))
      ?.slice('@default - '.length)
      .trim();
    return { spec, doc, see, ...(spec.default === undefined && unset ? { unsetDefault: unset } : {}) };
  });
}
