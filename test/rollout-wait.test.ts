import { ChildProcess, execFileSync, spawn } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { IncomingMessage, ServerResponse } from 'http';
import { createServer } from 'https';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { ROLLOUT_WAIT_SCRIPT } from '../lib/workload/rollout-wait';
import { synth } from './fixtures';

/**
 * The post-deploy migration waits for the rollout with a Ruby script (the Discourse image
 * has Ruby, not kubectl). Run it with a real Ruby against a fake API server over TLS, as
 * it runs in the pod: token, CA and namespace from a ServiceAccount directory.
 */

function hasRuby(): boolean {
  try {
    execFileSync('ruby', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const RUBY = hasRuby();
if (!RUBY && process.env.CI) throw new Error('ruby is required in CI (.ci/run installs the Debian package ruby)');
if (!RUBY) console.warn('rollout-wait.test.ts: ruby not found; the script is not run (install the Debian package ruby)');
const maybe = RUBY ? test : test.skip;

const IMAGE = 'registry.example.com/discourse:3.4.2';

function deployment(image: string, status: Record<string, number>, generation = 2): object {
  return {
    metadata: { name: 'forum', generation },
    spec: { replicas: 3, template: { spec: { containers: [{ name: 'discourse', image }] } } },
    status: { observedGeneration: 2, ...status },
  };
}

/** A ServiceAccount directory and a self-signed certificate for 127.0.0.1. */
function serviceAccount(): { dir: string; key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-wait-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'].concat([
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'ca.crt'),
    ]),
    { stdio: 'ignore' },
  );
  writeFileSync(join(dir, 'token'), 'token-123');
  writeFileSync(join(dir, 'namespace'), 'forum');
  return { dir, key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'ca.crt'), 'utf8') };
}

/** Serves `answers` in turn (the last one repeats) and runs the script until it exits or `limit` requests were made. */
async function runAgainst(answers: Array<[number, object]>, limit = 20): Promise<{ code: number | null; requests: string[]; output: string }> {
  const sa = serviceAccount();
  const requests: string[] = [];
  let child: ChildProcess | undefined;
  const server = createServer({ key: sa.key, cert: sa.cert }, (req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url} ${req.headers.authorization}`);
    const [status, body] = answers[Math.min(requests.length - 1, answers.length - 1)];
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (requests.length >= limit) child?.kill();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    return await new Promise((resolve) => {
      let output = '';
      child = spawn('ruby', ['-e', ROLLOUT_WAIT_SCRIPT], {
        env: {
          PATH: process.env.PATH,
          KUBERNETES_SERVICE_HOST: '127.0.0.1',
          KUBERNETES_SERVICE_PORT: String(port),
          ROLLOUT_SERVICEACCOUNT_DIR: sa.dir,
          ROLLOUT_DEPLOYMENT: 'forum',
          ROLLOUT_IMAGE: IMAGE,
          ROLLOUT_POLL_SECONDS: '0',
        },
      });
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      const timer = setTimeout(() => child!.kill(), 20000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, requests, output });
      });
    });
  } finally {
    server.close();
  }
}

describe('waiting for the rollout before post-deploy migrations', () => {
  maybe(
    'waits through an API error, the old image and a half-done rollout; exits 0 once every replica runs the new image',
    async () => {
      const { code, requests, output } = await runAgainst([
        [503, { message: 'unavailable' }],
        [200, deployment('registry.example.com/discourse:3.4.1', { replicas: 3, updatedReplicas: 3, availableReplicas: 3 })],
        [200, deployment(IMAGE, { replicas: 4, updatedReplicas: 1, availableReplicas: 3 })],
        [200, deployment(IMAGE, { replicas: 3, updatedReplicas: 3, availableReplicas: 3 }, 3)],
        [200, deployment(IMAGE, { replicas: 3, updatedReplicas: 3, availableReplicas: 3 })],
      ]);
      expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('forum runs registry.example.com/discourse:3.4.2 on all 3 replicas') });
      // The generation-3 answer (controller not caught up) did not count as done either.
      expect(requests).toHaveLength(5);
      expect(requests[0]).toBe('GET /apis/apps/v1/namespaces/forum/deployments/forum Bearer token-123');
      expect(output).toContain('the API server answered 503');
      expect(output).toContain('1/3 updated, 4 in all, 3 available');
    },
    30000,
  );

  maybe(
    'never finishes while an old replica is left',
    async () => {
      const { code, requests } = await runAgainst([[200, deployment(IMAGE, { replicas: 4, updatedReplicas: 3, availableReplicas: 4 })]], 5);
      expect(code).not.toBe(0);
      expect(requests).toHaveLength(5);
    },
    30000,
  );

  test('the post-deploy Job runs it in an init container with the Deployment and image it waits for', () => {
    const { manifests } = synth();
    const job = manifests.find((m) => m.metadata.name.startsWith('forum-post-migrate-')) as unknown as {
      spec: { template: { spec: { initContainers: Array<Record<string, unknown>> } } };
    };
    const init = job.spec.template.spec.initContainers;
    expect(init.map((c) => c.name)).toEqual(['wait-for-rollout']);
    expect(init[0].command).toEqual(['ruby', '-e', ROLLOUT_WAIT_SCRIPT]);
    expect(init[0].env).toEqual(
      expect.arrayContaining([
        { name: 'ROLLOUT_DEPLOYMENT', value: 'forum' },
        { name: 'ROLLOUT_IMAGE', value: 'discourse:1.0' },
      ]),
    );
  });
});
