/**
 * One thing wrong with a site description. Validation collects every problem
 * first and fails once, so a user fixes a whole file in one pass.
 *
 * Validation speaks one vocabulary, the TypeScript API's (`smtpPort`,
 * `networkPolicy.ingressNamespace`), and marks the options it mentions in messages
 * with {@link opt}; a {@link Vocabulary} translates both when problems are shown,
 * in exactly one place, so a site file's user reads `config.smtp_port`.
 */
export interface Problem {
  /** Where the value lives: a prop path (`resources.cpuRequest`), or a site-file key for problems of the file's shape. */
  readonly path: string;
  /** What is wrong, including the offending value unless it may be secret. */
  readonly message: string;
  /** How to fix it. */
  readonly fix?: string;
  /** Line of the value in the source file (1-based), when known. @default - unknown */
  readonly line?: number;
  /** Column of the value in the source file (1-based), when known. @default - unknown */
  readonly column?: number;
}

/** Names an option inside a message or fix, so that each vocabulary shows it in its own words. */
export function opt(path: string): string {
  return `«${path}»`;
}

/** How the caller names options: a prop path in, the caller's word out. */
export interface Vocabulary {
  name(path: string): string;
}

/** The TypeScript API's own words: prop paths as they are. */
export const PROP_NAMES: Vocabulary = { name: (path) => path };

/** A problem in the caller's words: its path and every option its message and fix mention. */
export function translateProblem(p: Problem, vocabulary: Vocabulary): Problem {
  const words = (text: string) => text.replace(/«([^»]+)»/g, (_m, path: string) => vocabulary.name(path));
  return {
    ...p,
    path: vocabulary.name(p.path.replace(/«([^»]+)»/g, '$1')),
    message: words(p.message),
    ...(p.fix !== undefined ? { fix: words(p.fix) } : {}),
  };
}

/** Thrown when a site description fails validation; lists every problem. */
export class ValidationError extends Error {
  public readonly problems: readonly Problem[];

  constructor(source: string, problems: readonly Problem[], vocabulary: Vocabulary = PROP_NAMES) {
    super(formatProblems(source, problems, vocabulary));
    this.name = 'ValidationError';
    this.problems = problems.map((p) => translateProblem(p, vocabulary));
  }
}

/**
 * Renders problems one per line as `<source>[:line:column]: <path>: <message>. Fix: ...`, in
 * the caller's words (the position when known, as compilers print it, so editors link it).
 */
export function formatProblems(source: string, problems: readonly Problem[], vocabulary: Vocabulary = PROP_NAMES): string {
  const lines = problems
    .map((p) => translateProblem(p, vocabulary))
    .map((p) => {
      const at = p.line !== undefined ? `${source}:${p.line}:${p.column ?? 1}` : source;
      return `${at}: ${p.path === '' ? '' : `${p.path}: `}${p.message}${p.fix ? `. Fix: ${p.fix}` : ''}`;
    });
  return `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${source}:\n${lines.map((l) => `  - ${l}`).join('\n')}`;
}

/** Shows a user value in an error message without dumping huge structures. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Levenshtein distance, for "did you mean" suggestions on unknown keys. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The closest known name to `name`, if it is close enough to be a typo. */
export function didYouMean(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

/** `known`, the names closest to `name` first (for a list of the allowed names after an unknown one). */
export function closestFirst(name: string, known: readonly string[]): string[] {
  const distance = new Map(known.map((k) => [k, editDistance(name.toLowerCase(), k.toLowerCase())]));
  return [...known].sort((a, b) => distance.get(a)! - distance.get(b)!);
}
