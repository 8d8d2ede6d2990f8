import { readFileSync, readdirSync } from 'fs';
import { join } from 'path';
import { OPTIONS } from '../lib/model/config';
import { GENERATED_PAGES, withGeneratedSection } from '../app/docs';

/**
 * The style rule "every optional prop says its default" as a test: each `readonly x?:`
 * of an exported input type of lib/ (props, options, settings, connections, the Pebble
 * model) has a doc comment with `@default` right above it. Resolved and internal types,
 * whose fields are all set, are not inputs.
 */
describe('props documentation', () => {
  const LIB = join(__dirname, '..', 'lib');
  const INPUT_TYPE = /(Props|Options|Settings|Connection|Image|Resources|Volume|Keys|Values|Config)$|^Pebble/;
  const missing: string[] = [];
  let checked = 0;
  for (const file of readdirSync(LIB, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))) {
    const lines = readFileSync(join(LIB, file), 'utf8').split('\n');
    let inExportedInterface = false;
    lines.forEach((line, i) => {
      const declared = /^export interface (\w+)/.exec(line);
      if (declared) inExportedInterface = INPUT_TYPE.test(declared[1]) && !declared[1].startsWith('Resolved');
      else if (/^}/.test(line)) inExportedInterface = false;
      const m = /^ {2}readonly (\w+)\?:/.exec(line);
      if (!inExportedInterface || !m) return;
      checked++;
      let j = i - 1;
      const doc: string[] = [];
      while (j >= 0 && /^\s*(\/\*\*|\*|\*\/)/.test(lines[j])) doc.unshift(lines[j--]);
      if (!doc.join('\n').includes('@default')) missing.push(`${file}:${i + 1} ${m[1]}`);
    });
  }

  test('every optional prop of an exported interface documents its default', () => {
    expect(checked).toBeGreaterThan(40);
    expect(missing).toEqual([]);
  });
});

describe('charm option documentation', () => {
  test("every charm option's prop links to the charm's doc of that option", () => {
    const text = readFileSync(join(__dirname, '..', 'lib', 'model', 'config.ts'), 'utf8');
    const config = text.slice(text.indexOf('export interface DiscourseConfig'), text.indexOf('\n}\n', text.indexOf('export interface DiscourseConfig')));
    const missing = OPTIONS.filter(
      (o) => !new RegExp(`@see https://charmhub\\.io/discourse-k8s/configurations#${o.option}\\n\\s*\\*/\\n\\s*readonly ${o.prop}\\?`).test(config),
    );
    expect(missing.map((o) => o.option)).toEqual([]);
  });
});

describe('the generated pages of docs/', () => {
  test.each(GENERATED_PAGES.map((p) => [p.file, p.begin] as const))('%s is what npm run docs writes from the tables now', (file, begin) => {
    const page = readFileSync(join(__dirname, '..', file), 'utf8');
    expect(page).toContain(begin);
    // A stale page shows here as a diff of the generated lines.
    expect(page).toBe(withGeneratedSection(file, page));
  });
});
