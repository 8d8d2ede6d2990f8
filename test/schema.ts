import { spawnSync } from 'child_process';
import * as path from 'path';

/**
 * Validates synthesized Kubernetes manifests against the schemas shipped in
 * kubernetes-models, @kubernetes-models/prometheus-operator, argo-cd and
 * flux-cd. Those packages are ESM-only, so validation runs in a child Node
 * process (test/schema/validate.mjs); see that file for what is and is not
 * checked (notably: unknown fields are NOT rejected by the model schemas).
 */

const VALIDATOR = path.join(__dirname, 'schema', 'validate.mjs');

interface Failure {
  index: number;
  kind: string;
  name: string;
  errors: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFailure(value: unknown): value is Failure {
  return (
    isRecord(value) &&
    typeof value.index === 'number' &&
    typeof value.kind === 'string' &&
    typeof value.name === 'string' &&
    Array.isArray(value.errors) &&
    value.errors.every((e: unknown) => typeof e === 'string')
  );
}

function parseFailures(stdout: string): Failure[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch (err) {
    throw new Error(`schema validator printed invalid JSON: ${String(err)}\n${stdout}`);
  }
  if (!Array.isArray(parsed) || !parsed.every(isFailure)) {
    throw new Error(`schema validator printed unexpected output: ${stdout}`);
  }
  return parsed;
}

function label(failure: Failure): string {
  const kind = failure.kind === '' ? '<no kind>' : failure.kind;
  return failure.name === '' ? `${kind}[${failure.index}]` : `${kind}/${failure.name}`;
}

/**
 * Returns one human-readable string per schema violation, e.g.
 * `Deployment/forum: /spec/replicas must be integer`; [] when all manifests
 * are valid. Unknown apiVersion/kind pairs are reported as errors. Throws if
 * the validator process itself fails.
 */
export function validateManifests(manifests: unknown[]): string[] {
  const result = spawnSync(process.execPath, [VALIDATOR], {
    input: JSON.stringify(manifests),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) {
    throw new Error(`failed to run schema validator: ${result.error.message}`);
  }
  if (result.status !== 0) {
    const how = result.status === null ? `signal ${String(result.signal)}` : `exit code ${result.status}`;
    throw new Error(`schema validator crashed (${how}):\n${result.stderr}`);
  }
  return parseFailures(result.stdout).flatMap((failure) => failure.errors.map((error) => `${label(failure)}: ${error}`));
}

/** Jest assertion: every manifest is schema-valid. */
export function expectValidManifests(manifests: unknown[]): void {
  expect(validateManifests(manifests)).toEqual([]);
}
