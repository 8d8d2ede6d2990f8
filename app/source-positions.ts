import { Document, LineCounter, Node, isMap, isScalar, isSeq } from 'yaml';
import { Problem } from '../lib/problems';

/**
 * Where things are in a site file: YAML syntax errors as one problem each (with line and
 * column), and the line and column of a key path (`config.smtp_port`,
 * `operations[0].password`), so problems point into the file as a compiler's do.
 */

/** `operations[0].password.name` → `['operations', 0, 'password', 'name']`. */
function segments(path: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const part of path.split('.')) {
    const m = /^(.*?)((?:\[\d+\])*)$/.exec(part)!;
    if (m[1] !== '') out.push(m[1]);
    for (const index of m[2].match(/\d+/g) ?? []) out.push(Number(index));
  }
  return out;
}

/**
 * The 1-based line and column of the deepest part of `path` the document holds: the key
 * itself when it is there, else its nearest written ancestor (a missing `max_replicas`
 * points at `autoscaling:`). Undefined when not even the first key is in the file.
 */
export function locate(doc: Document, lines: LineCounter, path: string): { line: number; column: number } | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined;
  for (const segment of segments(path)) {
    if (typeof segment === 'number' && isSeq(node)) {
      node = node.items[segment];
      const range = (node as Node | undefined)?.range;
      if (!range) break;
      offset = range[0];
    } else if (typeof segment === 'string' && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
      const range = (pair?.key as Node | undefined)?.range;
      if (!pair || !range) break;
      offset = range[0];
      node = pair.value;
    } else {
      break;
    }
  }
  if (offset === undefined) return undefined;
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

/** Each problem with the line and column of its path, when the file has it. */
export function withPositions(problems: readonly Problem[], doc: Document, lines: LineCounter, siteKey: (p: Problem) => string): Problem[] {
  return problems.map((p) => (p.line !== undefined ? p : { ...p, ...locate(doc, lines, siteKey(p)) }));
}

/**
 * A document's syntax errors, one problem each, at their line and column. The parser
 * often reports one mistake several times (a tab in an indentation makes every following
 * line of the block "not allowed"), so: every tab in an indentation (each is a mistake to
 * fix), else only the first error, which the others usually follow from.
 */
export function syntaxProblems(doc: Document, lines: LineCounter): Problem[] {
  const tabs = doc.errors.filter((e) => e.code === 'TAB_AS_INDENT');
  const shown = tabs.length > 0 ? tabs : doc.errors.slice(0, 1);
  return shown.map((e) => {
    const { line, col } = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
    // The parser's message repeats the position and appends an excerpt: keep the sentence.
    const sentence = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    const more = doc.errors.length > shown.length ? ' (the parser reports more errors after it; they usually follow from this one)' : '';
    return {
      path: '',
      message: `YAML syntax error: ${sentence}${more}`,
      fix: e.code === 'TAB_AS_INDENT' ? 'indent with spaces: YAML does not allow tabs in indentation' : 'fix the YAML syntax here',
      line,
      column: col,
    };
  });
}
