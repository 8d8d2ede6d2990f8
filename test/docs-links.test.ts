import { existsSync, readFileSync, readdirSync } from 'fs';
import { dirname, join, relative } from 'path';

/**
 * The README is a contents page and docs/ holds the pages; both promise that every link
 * resolves. Links are Markdown `[text](target)` to a file of the repository, with an
 * optional `#anchor` that must be a heading of that page (GitHub's anchors). The program's
 * own messages point at pages as `docs/<page>.md#anchor`: those must resolve too.
 */

const ROOT = join(__dirname, '..');
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown page: its headings outside code fences. */
function anchors(file: string): Set<string> {
  const out = new Set<string>();
  let fence = false;
  for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    const m = !fence && /^#{1,6} (.+)$/.exec(line);
    if (m) out.add(anchorOf(m[1]));
  }
  return out;
}

/** What is wrong with `target` as named from the file `from` (null when it resolves). */
function broken(from: string, target: string): string | null {
  const [path, anchor] = target.split('#');
  const file = path === '' ? from : relative(ROOT, join(ROOT, dirname(from), path));
  if (!existsSync(join(ROOT, file))) return `${file} does not exist`;
  if (anchor !== undefined && file.endsWith('.md') && !anchors(file).has(anchor)) return `${file} has no heading #${anchor}`;
  return null;
}

/** Every relative Markdown link of a page, outside code fences and inline code. */
function links(file: string): string[] {
  const out: string[] = [];
  let fence = false;
  for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    if (fence) continue;
    for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) if (!/^[a-z]+:/.test(m[1])) out.push(m[1]);
  }
  return out;
}

describe('links in the README and docs/', () => {
  test('the anchor function gives GitHub’s anchors', () => {
    expect(anchorOf('In-cluster PostgreSQL and Redis (optional, off by default)')).toBe('in-cluster-postgresql-and-redis-optional-off-by-default');
    expect(anchorOf('What you get per site (`dist/<site>/`)')).toBe('what-you-get-per-site-distsite');
    expect(anchorOf("Coming from Bitnami's chart")).toBe('coming-from-bitnamis-chart');
  });

  test('the README links every page of docs/', () => {
    const linked = new Set(links('README.md').map((t) => t.split('#')[0]));
    expect(PAGES.filter((p) => p !== 'README.md' && !linked.has(p))).toEqual([]);
  });

  test.each(PAGES)('every link of %s resolves', (page) => {
    const bad = links(page)
      .map((t) => [t, broken(page, t)] as const)
      .filter(([, why]) => why !== null)
      .map(([t, why]) => `${page}: (${t}): ${why}`);
    expect(bad).toEqual([]);
  });

  test("every docs/ page the program's messages name exists, with the heading named", () => {
    const sources = ['app', 'lib'].flatMap((folder) =>
      readdirSync(join(ROOT, folder), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.ts'))
        .map((f) => `${folder}/${f}`),
    );
    const named = sources.flatMap((f) =>
      [...readFileSync(join(ROOT, f), 'utf8').matchAll(/\bdocs\/([a-z0-9-]+\.md(?:#[a-z0-9-]+)?)/g)].map((m) => [f, m[1]] as const),
    );
    expect(named.length).toBeGreaterThan(10);
    const bad = named.map(([f, t]) => [f, t, broken('docs/x.md', t)] as const).filter(([, , why]) => why !== null);
    expect(bad.map(([f, t, why]) => `${f}: docs/${t}: ${why}`)).toEqual([]);
  });

  test('a broken link is found (the checker can fail)', () => {
    expect(broken('README.md', 'docs/no-such-page.md')).toBe('docs/no-such-page.md does not exist');
    expect(broken('README.md', 'docs/day-2.md#no-such-heading')).toBe('docs/day-2.md has no heading #no-such-heading');
  });
});
