import { Document, LineCounter, Node, isMap, isScalar, isSeq } from 'yaml';
import { Problem } from '../lib/core/problems';

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

/** A line of the file that holds YAML (not blank, not only a comment), as indentation reads it. */
interface ContentLine {
  /** 1-based line number. */
  readonly line: number;
  /** Spaces before the text. */
  readonly indent: number;
  /** 0-based column of the key the line starts (after `- ` in a list item). */
  readonly keyColumn: number;
  /** The key the line starts, as written, e.g. `external_hostname:`; undefined when it starts none. */
  readonly key?: string;
  /** Whether the line ends with its key (`config:`), so that the next one may be indented more. */
  readonly opensBlock: boolean;
}

function contentLines(text: string): ContentLine[] {
  return text.split('\n').flatMap((raw, i): ContentLine[] => {
    const body = raw.replace(/\r$/, '');
    const indent = /^ */.exec(body)![0].length;
    const rest = body.slice(indent);
    if (rest === '' || rest.startsWith('#')) return [];
    const dash = /^-(?: +|$)/.exec(rest)?.[0].length ?? 0;
    const keyed = /^("[^"]*"|'[^']*'|[^\s#:'"{[\]},&*!|>%@`-][^:#]*?|-[^\s:#][^:#]*?)\s*:(?:\s+(.*))?$/.exec(rest.slice(dash));
    const value = keyed?.[2]?.replace(/\s+#.*$/, '').trim() ?? '';
    return [
      {
        line: i + 1,
        indent,
        keyColumn: indent + dash,
        key: keyed ? `${keyed[1]}:` : undefined,
        opensBlock: (keyed !== null && (value === '' || /^[|>][-+0-9]*$/.test(value) || /^&\S+$/.test(value))) || (dash > 0 && rest.slice(dash) === ''),
      },
    ];
  });
}

/** The keys a line at `index` may line up with: the one above it, then each enclosing one (less indented). */
function levelsAbove(lines: readonly ContentLine[], index: number): ContentLine[] {
  const levels: ContentLine[] = [];
  let bound = Infinity;
  for (let i = index - 1; i >= 0 && bound > 0; i--) {
    const l = lines[i];
    if (l.key !== undefined && l.keyColumn < bound) {
      levels.push(l);
      bound = l.keyColumn;
    }
  }
  return levels;
}

const spaces = (n: number) => (n === 0 ? 'no spaces' : n === 1 ? '1 space' : `${n} spaces`);

/** "indent it with 2 spaces, like external_hostname: (line 2), or with no spaces, like config: (line 1)". */
function indentFix(levels: readonly ContentLine[]): string {
  const ways = levels.map((l, i) => `${i === 0 ? '' : 'with '}${spaces(l.keyColumn)}, like ${l.key} (line ${l.line})`);
  return `indent it with ${ways.length <= 1 ? ways.join('') : `${ways.slice(0, -1).join(', ')}, or ${ways[ways.length - 1]}`}`;
}

/**
 * An indentation mistake in plain words, at the line that has it (the parser reports
 * "Nested mappings are not allowed in compact mappings" at the line before, and "All
 * mapping items must start at the same column" without saying which column). Undefined
 * when the error is not one of indentation, or the lines do not show how.
 */
function indentationProblem(text: string, errorLine: number, code: string, sentence: string): Problem | undefined {
  const lines = contentLines(text);
  // The parser's position: the key whose value the next line was read into, or the line itself.
  const intoTheLineAbove = code === 'BLOCK_AS_IMPLICIT_KEY' || code === 'MULTILINE_IMPLICIT_KEY';
  const badIndent = (code === 'BAD_INDENT' && sentence.startsWith('All mapping items')) || (code === 'MISSING_CHAR' && sentence.startsWith('Sequence item'));
  if (!intoTheLineAbove && !badIndent) return undefined;
  let index = lines.findIndex((l) => l.line === errorLine);
  if (index < 0) return undefined;
  if (intoTheLineAbove) {
    const above = lines[index];
    const next = lines[index + 1];
    if (above.key === undefined || above.opensBlock || next === undefined || next.keyColumn <= above.keyColumn) return undefined;
    index += 1;
  }
  const here = lines[index];
  const levels = levelsAbove(lines, index);
  const above = levels[0];
  if (above === undefined || here.keyColumn === above.keyColumn) return undefined;
  const what = here.key ?? 'this line';
  const direction = here.keyColumn > above.keyColumn ? 'more' : 'less';
  const outer = levels.find((l) => l.keyColumn < here.keyColumn);
  const between = direction === 'less' && outer ? ` but more than ${outer.key} (line ${outer.line}, ${spaces(outer.keyColumn)})` : '';
  const why =
    direction === 'more'
      ? `: keys can be indented under a key only when it ends its line with ":", and ${above.key} has its value on its line`
      : ', so YAML cannot tell which section it belongs to';
  return {
    path: '',
    message: `YAML indentation: ${what} is indented ${direction} than the key above it: ${spaces(here.keyColumn)} where ${above.key} (line ${above.line}) has ${spaces(above.keyColumn)}${between}${why}`,
    fix: indentFix(levels),
    line: here.line,
    column: here.keyColumn + 1,
  };
}

/** Where a key is written: 1-based line and column of its first character. */
function positionOf(lines: LineCounter, node: Node | undefined | null): { line: number; column: number } | undefined {
  const range = node?.range;
  if (!range) return undefined;
  const { line, col } = lines.linePos(range[0]);
  return { line, column: col };
}

/** Every key written twice in one mapping: the key's path, and where both are. */
function duplicateKeys(doc: Document, lines: LineCounter): Problem[] {
  const problems: Problem[] = [];
  const walk = (node: unknown, path: string) => {
    if (isSeq(node)) node.items.forEach((item, i) => walk(item, `${path}[${i}]`));
    if (!isMap(node)) return;
    const first = new Map<string, { line: number; column: number }>();
    for (const pair of node.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : undefined;
      const at = positionOf(lines, pair.key as Node | null);
      if (name === undefined || at === undefined) continue;
      const key = path === '' ? name : `${path}.${name}`;
      const earlier = first.get(name);
      if (earlier) {
        const section = isMap(pair.value) || isSeq(pair.value);
        problems.push({
          path: key,
          message: `is written twice, on line ${earlier.line} and on line ${at.line}; YAML allows each key once in a mapping`,
          fix: section ? `merge the two ${name}: sections into one` : `keep the one you mean and delete the other line (${earlier.line} or ${at.line})`,
          ...at,
        });
      } else {
        first.set(name, at);
      }
      walk(pair.value, key);
    }
  };
  walk(doc.contents, '');
  return problems;
}

/** The parser's words for a syntax error, and a fix, where plain words are known. */
function plainSyntaxError(code: string, sentence: string): { message: string; fix: string } {
  if (code === 'TAB_AS_INDENT') return { message: sentence, fix: 'indent with spaces: YAML does not allow tabs in indentation' };
  if (/end with a \]/.test(sentence))
    return {
      message: `a list opened with [ is not closed (${sentence})`,
      fix: 'close it with ] on the same line, or write the list as lines starting with "- "',
    };
  if (/end with a \}/.test(sentence))
    return { message: `a mapping opened with { is not closed (${sentence})`, fix: 'close it with } on the same line, or write it as key: value lines' };
  if (code === 'MULTILINE_IMPLICIT_KEY')
    return {
      message: `this line is not key: value (${sentence})`,
      fix: 'write a colon and a space after the key (key: value), or quote a value that spans lines',
    };
  if (code === 'MISSING_CHAR' && /quot/i.test(sentence)) return { message: sentence, fix: 'close the quoted string on this line' };
  return { message: sentence, fix: 'check this line and the one above it: the indentation, and that every [, { and quote is closed' };
}

/**
 * A document's syntax errors, one problem each, at their line and column. The parser
 * often reports one mistake several times (a tab in an indentation makes every following
 * line of the block "not allowed"), so: every tab in an indentation (each is a mistake to
 * fix), else every key written twice (each names both lines) and the first other error,
 * which the others usually follow from. Indentation mistakes are said in plain words, at
 * the line that has them.
 */
export function syntaxProblems(doc: Document, lines: LineCounter, text?: string): Problem[] {
  const tabs = doc.errors.filter((e) => e.code === 'TAB_AS_INDENT');
  const others = doc.errors.filter((e) => e.code !== 'DUPLICATE_KEY');
  const duplicates = tabs.length > 0 || !doc.errors.some((e) => e.code === 'DUPLICATE_KEY') ? [] : duplicateKeys(doc, lines);
  const shown = tabs.length > 0 ? tabs : others.slice(0, 1);
  const syntax = shown.map((e): Problem => {
    const { line, col } = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
    // The parser's message repeats the position and appends an excerpt: keep the sentence.
    const sentence = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    const more = others.length > shown.length ? ' (the parser reports more errors after it; they usually follow from this one)' : '';
    const indentation = text !== undefined && tabs.length === 0 ? indentationProblem(text, line, e.code, sentence) : undefined;
    if (indentation) return indentation;
    const plain = plainSyntaxError(e.code, sentence);
    return { path: '', message: `YAML syntax error: ${plain.message}${more}`, fix: plain.fix, line, column: col };
  });
  return [...duplicates, ...syntax].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
