import { spawnSync } from 'child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { APP_DIR } from '../lib/core/paths';
import { OPERATION_SCRIPTS, OPERATION_RECORD_PLUGIN, runOnce } from '../lib/model/operations';

/**
 * The operation scripts run by a real `sh`, with the rock's `bin/rails` and `bin/bundle`
 * replaced by stubs that keep Discourse's state in files: which users exist, what
 * `admin:create` read on stdin, and the PluginStore records.
 */

interface World {
  readonly dir: string;
  run(script: string, env: Record<string, string>): { status: number | null; stdout: string };
  calls(): string[];
}

function world(options: { userExists?: boolean; adminCreateFails?: boolean } = {}): World {
  const dir = mkdtempSync(join(tmpdir(), 'operation-'));
  const calls = join(dir, 'calls');
  writeFileSync(calls, '');
  // rails runner '<ruby>': PluginStore.get exits 0 when the record file exists; .set writes it.
  writeFileSync(
    join(dir, 'rails'),
    `#!/bin/sh
echo "rails $*" >> ${calls}
case "$2" in
  *PluginStore.get*) [ -f "${dir}/record-$OP_KEY" ] ;;
  *PluginStore.set*) echo set > "${dir}/record-$OP_KEY" ;;
  *) exit 3 ;;
esac
`,
  );
  writeFileSync(
    join(dir, 'bundle'),
    `#!/bin/sh
echo "bundle $*" >> ${calls}
case "$3" in
  users:exists*) ${options.userExists ? 'exit 0' : 'exit 1'} ;;
  admin:create) cat > "${dir}/admin-create-stdin"; ${options.adminCreateFails ? 'exit 1' : 'exit 0'} ;;
  *) exit 0 ;;
esac
`,
  );
  chmodSync(join(dir, 'rails'), 0o755);
  chmodSync(join(dir, 'bundle'), 0o755);
  return {
    dir,
    run(script, env) {
      const local = script.split(`${APP_DIR}/bin/`).join(`${dir}/`);
      const r = spawnSync('sh', ['-c', local], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
      return { status: r.status, stdout: r.stdout };
    },
    calls: () => readFileSync(calls, 'utf8').split('\n').filter(Boolean),
  };
}

const CREATE_ENV = {
  OP_KEY: 'operation:create-user:ops@example.com',
  OP_EMAIL: 'ops@example.com',
  OP_PASSWORD: 'correct horse',
  OP_ADMIN_ANSWER: 'Y',
  OP_ACTIVE: 'true',
};
const script = runOnce(OPERATION_SCRIPTS['create-user']);

describe('operations run once per forum', () => {
  test('a new user is created with the answers admin:create asks for, then the run is recorded', () => {
    const w = world();
    const r = w.run(script, CREATE_ENV);
    expect(r.status).toBe(0);
    expect(readFileSync(join(w.dir, 'admin-create-stdin'), 'utf8')).toBe('ops@example.com\ncorrect horse\ncorrect horse\nY\n');
    expect(existsSync(join(w.dir, `record-${CREATE_ENV.OP_KEY}`))).toBe(true);
    expect(w.calls().filter((c) => c.includes('PluginStore.set'))).toHaveLength(1);
    expect(w.calls().find((c) => c.includes('PluginStore.set'))).toContain(JSON.stringify(OPERATION_RECORD_PLUGIN));
  });

  test('a second Job for the same operation (new image, re-created by Flux) does nothing', () => {
    const w = world();
    w.run(script, CREATE_ENV);
    const before = w.calls().length;
    const again = w.run(script, CREATE_ENV);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`${CREATE_ENV.OP_KEY} ran already; nothing to do`);
    expect(w.calls().slice(before)).toEqual([expect.stringMatching(/^rails runner .*PluginStore\.get/)]);
  });

  test("an existing user is left alone, and the operation's early exit still records the run", () => {
    const w = world({ userExists: true });
    const r = w.run(script, CREATE_ENV);
    expect(r.status).toBe(0);
    expect(w.calls().filter((c) => c.includes('admin:create'))).toEqual([]);
    expect(existsSync(join(w.dir, `record-${CREATE_ENV.OP_KEY}`))).toBe(true);
  });

  test('a failed operation is not recorded, so the next Job tries again', () => {
    const w = world({ adminCreateFails: true });
    const r = w.run(script, CREATE_ENV);
    expect(r.status).not.toBe(0);
    expect(existsSync(join(w.dir, `record-${CREATE_ENV.OP_KEY}`))).toBe(false);
  });

  test('a password with shell characters reaches admin:create unchanged and is never evaluated', () => {
    const w = world();
    const password = `$(touch ${w.dir}/pwned) "; exit 1; '`;
    expect(w.run(script, { ...CREATE_ENV, OP_PASSWORD: password }).status).toBe(0);
    expect(existsSync(join(w.dir, 'pwned'))).toBe(false);
    expect(readFileSync(join(w.dir, 'admin-create-stdin'), 'utf8')).toBe(`ops@example.com\n${password}\n${password}\nY\n`);
  });
});
