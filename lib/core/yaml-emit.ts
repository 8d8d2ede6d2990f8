/**
 * A YAML writer for JSON data that writes exactly what `yaml`'s `stringify` (2.x, default
 * options) writes, several times faster: synth writes thousands of manifests and
 * `stringify` builds a document tree for each. It follows yaml's stringify code path by
 * path (block maps and sequences, plain, quoted and literal block scalars) and gives up
 * (returns undefined) wherever it would have to follow more of it: shared objects
 * (yaml writes anchors), maps of only nulls, long keys, lines yaml would fold, and
 * anything that is not plain JSON. The caller then uses `stringify`; so the output is
 * always yaml's. test/yaml-emit.test.ts compares the two on the fixtures and on
 * generated edge cases.
 */

/** Thrown inside, turned into `undefined`: a value this writer does not cover. */
const UNSUPPORTED = Symbol('unsupported');

/** yaml's default options that shape the output. */
const INDENT_STEP = '  ';
const MIN_CONTENT_WIDTH = 20;
const DOUBLE_QUOTED_MIN_MULTILINE_LENGTH = 40;

/** The core schema's tests for scalars that would read back as something other than a string. */
const NON_STRING_TESTS = [
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
  /^0o[0-7]+$/,
  /^[-+]?[0-9]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
];
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
// eslint-disable-next-line no-control-regex
const FORCE_DOUBLE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;
const BLOCK_END_NEWLINES = /(^|(?<!\n))\n+(?!\n|$)/g;

interface Context {
  readonly lineWidth: number;
  readonly seen: Set<object>;
}

/**
 * `value` as YAML, byte for byte what `stringify(value, { lineWidth })` of the `yaml`
 * package writes, or undefined when this writer does not cover the value.
 */
export function emitYaml(value: unknown, lineWidth = 80): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  try {
    return `${collection(value, '', { lineWidth, seen: new Set() })}\n`;
  } catch (e) {
    if (e === UNSUPPORTED) return undefined;
    throw e;
  }
}

/** A map or sequence in block style at `indent` (yaml's stringifyBlockCollection). */
function collection(value: object, indent: string, ctx: Context): string {
  if (ctx.seen.has(value)) throw UNSUPPORTED; // yaml would write an anchor and an alias
  ctx.seen.add(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const itemIndent = indent + INDENT_STEP;
    let out = '';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined) throw UNSUPPORTED;
      const str = isCollection(item) ? collection(item, itemIndent, ctx) : scalar(item, false, itemIndent, ctx);
      out += i === 0 ? `- ${str}` : `\n${indent}- ${str}`;
    }
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw UNSUPPORTED;
  const record = value as Record<string, unknown>;
  let out = '';
  let allNull = true;
  for (const key of Object.keys(record)) {
    const v = record[key];
    if (v === undefined) continue; // yaml leaves out undefined values
    if (v !== null) allNull = false;
    const line = pair(key, v, indent, ctx);
    out += out === '' ? line : `\n${indent}${line}`;
  }
  if (out === '') return '{}';
  if (allNull) throw UNSUPPORTED; // yaml writes `? key` for maps of only nulls
  return out;
}

function isCollection(v: unknown): v is object {
  return v !== null && typeof v === 'object';
}

/** `key: value` inside a map at `indent` (yaml's stringifyPair, block context, implicit key). */
function pair(key: string, value: unknown, indent: string, ctx: Context): string {
  const inner = indent + INDENT_STEP;
  const k = string(key, true, inner, ctx);
  if (k.length > 1024) throw UNSUPPORTED; // yaml switches to an explicit `? key`
  if (isCollection(value)) {
    const str = collection(value, inner, ctx);
    const empty = Array.isArray(value) ? value.length === 0 : str === '{}';
    return empty ? `${k}: ${str}` : `${k}:\n${inner}${str}`;
  }
  const str = scalar(value, false, inner, ctx);
  return str === '' || str[0] === '\n' ? `${k}:${str}` : `${k}: ${str}`;
}

function scalar(value: unknown, implicitKey: boolean, indent: string, ctx: Context): string {
  switch (typeof value) {
    case 'string':
      return string(value, implicitKey, indent, ctx);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw UNSUPPORTED;
      return Object.is(value, -0) ? '-0' : JSON.stringify(value);
    default:
      if (value === null) return 'null';
      throw UNSUPPORTED;
  }
}

/** yaml's stringifyString for a plain-typed string (its default). */
function string(value: string, implicitKey: boolean, indent: string, ctx: Context): string {
  if (FORCE_DOUBLE.test(value)) return doubleQuoted(value, implicitKey, indent, ctx);
  // plainString
  if (implicitKey && value.includes('\n')) return quoted(value, implicitKey, indent, ctx);
  if (NOT_PLAIN.test(value)) {
    return implicitKey || !value.includes('\n') ? quoted(value, implicitKey, indent, ctx) : block(value, implicitKey, indent, ctx);
  }
  if (!implicitKey && value.includes('\n')) return block(value, implicitKey, indent, ctx);
  if (DOCUMENT_MARKER.test(value)) {
    if (indent === '') throw UNSUPPORTED;
    if (implicitKey && indent === INDENT_STEP) return quoted(value, implicitKey, indent, ctx);
  }
  // No newline is left here, so the text is the value itself.
  if (NON_STRING_TESTS.some((t) => t.test(value))) return quoted(value, implicitKey, indent, ctx);
  return implicitKey ? value : unfolded(value, indent, ctx);
}

/** Text that yaml's foldFlowLines returns unchanged; anything it would fold is not covered. */
function unfolded(text: string, indent: string, ctx: Context): string {
  if (!ctx.lineWidth || ctx.lineWidth < 0) return text;
  const minContentWidth = ctx.lineWidth < MIN_CONTENT_WIDTH ? 0 : MIN_CONTENT_WIDTH;
  if (text.length <= Math.max(1 + minContentWidth, 1 + ctx.lineWidth - indent.length)) return text;
  throw UNSUPPORTED;
}

function quoted(value: string, implicitKey: boolean, indent: string, ctx: Context): string {
  const hasDouble = value.includes('"');
  const hasSingle = value.includes("'");
  return hasDouble && !hasSingle ? singleQuoted(value, implicitKey, indent, ctx) : doubleQuoted(value, implicitKey, indent, ctx);
}

function singleQuoted(value: string, implicitKey: boolean, indent: string, ctx: Context): string {
  if ((implicitKey && value.includes('\n')) || /[ \t]\n|\n[ \t]/.test(value)) return doubleQuoted(value, implicitKey, indent, ctx);
  const ind = indent || (DOCUMENT_MARKER.test(value) ? '  ' : '');
  const res = `'${value.replace(/'/g, "''").replace(/\n+/g, `$&\n${ind}`)}'`;
  return implicitKey ? res : unfolded(res, ind, ctx);
}

const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  '0000': '\\0',
  '0007': '\\a',
  '000b': '\\v',
  '001b': '\\e',
  '0085': '\\N',
  '00a0': '\\_',
  '2028': '\\L',
  '2029': '\\P',
};

function doubleQuoted(value: string, implicitKey: boolean, indent: string, ctx: Context): string {
  const json = JSON.stringify(value);
  const ind = indent || (DOCUMENT_MARKER.test(value) ? '  ' : '');
  let str = '';
  let start = 0;
  for (let i = 0, ch = json[i]; ch; ch = json[++i]) {
    if (ch === ' ' && json[i + 1] === '\\' && json[i + 2] === 'n') {
      str += `${json.slice(start, i)}\\ `;
      i += 1;
      start = i;
      ch = '\\';
    }
    if (ch === '\\') {
      const next = json[i + 1];
      if (next === 'u') {
        str += json.slice(start, i);
        const code = json.substr(i + 2, 4);
        str += NAMED_ESCAPES[code] ?? (code.substr(0, 2) === '00' ? `\\x${code.substr(2)}` : json.substr(i, 6));
        i += 5;
        start = i + 1;
      } else if (next === 'n') {
        if (implicitKey || json[i + 2] === '"' || json.length < DOUBLE_QUOTED_MIN_MULTILINE_LENGTH) {
          i += 1;
        } else {
          str += `${json.slice(start, i)}\n\n`;
          while (json[i + 2] === '\\' && json[i + 3] === 'n' && json[i + 4] !== '"') {
            str += '\n';
            i += 2;
          }
          str += ind;
          if (json[i + 2] === ' ') str += '\\';
          i += 1;
          start = i + 1;
        }
      } else {
        i += 1;
      }
    }
  }
  str = start ? str + json.slice(start) : json;
  return implicitKey ? str : unfolded(str, ind, ctx);
}

/** yaml's blockString, literal style (with a line width, a long line would make it folded: not covered). */
function block(value: string, implicitKey: boolean, indent: string, ctx: Context): string {
  if (/\n[\t ]+$/.test(value)) return quoted(value, implicitKey, indent, ctx);
  if (indent === '') throw UNSUPPORTED;
  if (ctx.lineWidth > 0 && value.split('\n').some((line) => line.length > ctx.lineWidth - indent.length)) throw UNSUPPORTED;
  let endStart = value.length;
  for (; endStart > 0; --endStart) {
    const ch = value[endStart - 1];
    if (ch !== '\n' && ch !== '\t' && ch !== ' ') break;
  }
  let end = value.substring(endStart);
  const endNlPos = end.indexOf('\n');
  const chomp = endNlPos === -1 ? '-' : value === end || endNlPos !== end.length - 1 ? '+' : '';
  let body = value;
  if (end) {
    body = body.slice(0, -end.length);
    if (end[end.length - 1] === '\n') end = end.slice(0, -1);
    end = end.replace(BLOCK_END_NEWLINES, `$&${indent}`);
  }
  let startWithSpace = false;
  let startEnd = 0;
  let startNlPos = -1;
  for (; startEnd < body.length; ++startEnd) {
    const ch = body[startEnd];
    if (ch === ' ') startWithSpace = true;
    else if (ch === '\n') startNlPos = startEnd;
    else break;
  }
  let start = body.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
  if (start) {
    body = body.substring(start.length);
    start = start.replace(/\n+/g, `$&${indent}`);
  }
  const header = (startWithSpace ? '2' : '') + chomp;
  return `|${header}\n${indent}${start}${body.replace(/\n+/g, `$&${indent}`)}${end}`;
}
