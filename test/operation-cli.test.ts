import { parseAllDocuments } from 'yaml';
import { operationManifest } from '../app/operation-cli';
import { FIXTURE_SITES } from './fixtures';
import { expectValidManifests } from './schema';

const SITES = FIXTURE_SITES;

describe('npm run op', () => {
  test('renders one action of the example site as a Job, in the site namespace, with the password by reference', () => {
    // WHEN
    const { output, error } = operationManifest(SITES, [
      'example',
      'create-user',
      '--email',
      'ops@example.com',
      '--password-secret',
      'ops-pw/password',
      '--admin',
    ]);
    // THEN
    expect(error).toBeUndefined();
    const docs = parseAllDocuments(output!).map((d) => d.toJS());
    expect(docs).toHaveLength(1);
    expectValidManifests(docs);
    const [job] = docs;
    expect(job.metadata).toMatchObject({ namespace: 'discourse' });
    expect(job.metadata.name).toMatch(/^example-op-create-[0-9a-f]{8}$/);
    const env = job.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'OP_PASSWORD', valueFrom: { secretKeyRef: { name: 'ops-pw', key: 'password' } } });
    expect(env).toContainEqual({ name: 'OP_ADMIN_ANSWER', value: 'Y' });
    expect(job.spec.template.spec.containers[0].image).toBe('registry.example.com/discourse:1.0');
  });

  test.each([
    ['a password on the command line', ['example', 'create-user', '--email', 'a@example.com', '--password', 'x'], /unknown or incomplete option --password/],
    ['no password Secret', ['example', 'create-user', '--email', 'a@example.com'], /--password-secret NAME\/KEY is required/],
    ['an unknown site', ['nope', 'promote-user', '--email', 'a@example.com'], /no site named "nope"/],
    ['an unknown action', ['example', 'delete-forum'], /unknown action "delete-forum"/],
    ['a bad e-mail', ['example', 'promote-user', '--email', 'nobody'], /promote-user\.email: "nobody" is not an e-mail address/],
    ['no arguments', [], /^usage:/],
  ])('fails with %s', (_n, argv, expected) => {
    const { output, error } = operationManifest(SITES, argv);
    expect(output).toBeUndefined();
    expect(error).toMatch(expected);
  });
});
