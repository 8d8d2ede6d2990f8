import { Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { checkSecretRef, isDnsSubdomain, isLabelKey, isLabelValue, SecretKeyRef } from '../core/checks';
import { Problem, show } from '../core/problems';
import { sizeQuantity, wholeMebibytes } from '../core/units';

/** Requests and limits of an in-cluster data service's container. */
export interface DataServiceResources {
  /** @default - the service's own default (see its props) */
  readonly cpuRequest?: Cpu;
  /** @default - the service's own default (see its props) */
  readonly cpuLimit?: Cpu;
  /** @default - the service's own default (see its props) */
  readonly memoryRequest?: Size;
  /** @default - the service's own default (see its props) */
  readonly memoryLimit?: Size;
}

/** Resources with every value given: what a construct holds after resolving its defaults. */
export type ResolvedResources = Required<DataServiceResources>;

/** Requests and limits as Kubernetes quantities, for a container or a CloudNativePG `resources`. */
export function resourceQuantities(r: ResolvedResources): { requests: Record<string, string>; limits: Record<string, string> } {
  return {
    requests: { cpu: r.cpuRequest.amount, memory: sizeQuantity(r.memoryRequest) },
    limits: { cpu: r.cpuLimit.amount, memory: sizeQuantity(r.memoryLimit) },
  };
}

/** Millicores of a CPU amount (`500m`, `2`, `0.5`), NaN if unreadable. */
export function millicores(cpu: Cpu): number {
  return cpu.amount.endsWith('m') ? Number(cpu.amount.slice(0, -1)) : Number(cpu.amount) * 1000;
}

/**
 * Problems with requests and limits, naming `path` (e.g. `redis.resources`). A size that
 * is not whole Mi is reported once, and then not compared with its limit.
 */
export function validateResources(r: ResolvedResources, path: string): Problem[] {
  const problems: Problem[] = [];
  for (const [key, size] of [
    ['memoryRequest', r.memoryRequest],
    ['memoryLimit', r.memoryLimit],
  ] as const) {
    if (wholeMebibytes(size) === undefined)
      problems.push({ path: `${path}.${key}`, message: 'is not a whole number of Mi', fix: 'use Mi or Gi, e.g. 512Mi or 4Gi' });
  }
  const request = wholeMebibytes(r.memoryRequest);
  const limit = wholeMebibytes(r.memoryLimit);
  if (request !== undefined && limit !== undefined && request > limit)
    problems.push({ path: `${path}.memoryRequest`, message: 'is larger than the memory limit', fix: 'raise the limit or lower the request' });
  for (const [key, cpu] of [
    ['cpuRequest', r.cpuRequest],
    ['cpuLimit', r.cpuLimit],
  ] as const) {
    if (!(millicores(cpu) > 0))
      problems.push({ path: `${path}.${key}`, message: `${show(cpu.amount)} is not a positive CPU amount`, fix: 'use e.g. 500m or 2' });
  }
  if (millicores(r.cpuRequest) > millicores(r.cpuLimit))
    problems.push({
      path: `${path}.cpuRequest`,
      message: `${r.cpuRequest.amount} is larger than the CPU limit ${r.cpuLimit.amount}`,
      fix: 'raise the limit or lower the request',
    });
  return problems;
}

/** Problems with a volume size: it must be a positive whole number of Mi. */
export function validateStorageSize(size: Size, path: string): Problem[] {
  return wholeMebibytes(size) === undefined ? [{ path, message: 'is not a whole number of Mi', fix: 'use Mi or Gi, e.g. 10Gi' }] : [];
}

/** Problems with an optional StorageClass name. */
export function validateStorageClass(name: string | undefined, path: string): Problem[] {
  return name === undefined || isDnsSubdomain(name)
    ? []
    : [{ path, message: `${show(name)} is not a StorageClass name`, fix: 'use the metadata.name of a StorageClass' }];
}

/** Problems with a Secret reference (one list, so callers can spread it). */
export function validateSecretRef(ref: SecretKeyRef | undefined, path: string): Problem[] {
  const problems: Problem[] = [];
  if (ref === undefined) problems.push({ path, message: 'is required', fix: 'write { secret: <secret-name>, key: <key> }' });
  else checkSecretRef(ref, path, problems);
  return problems;
}

/** Problems with extra labels. */
export function validateLabels(labels: Readonly<Record<string, string>>, path: string): Problem[] {
  return Object.entries(labels).flatMap(([key, value]) => [
    ...(isLabelKey(key) ? [] : [{ path: `${path}.${key}`, message: 'is not a label key', fix: 'use [prefix/]name, name at most 63 characters' }]),
    ...(isLabelValue(value)
      ? []
      : [{ path: `${path}.${key}`, message: `${show(value)} is not a label value`, fix: 'use at most 63 letters, digits, "-", "_" and "."' }]),
  ]);
}
