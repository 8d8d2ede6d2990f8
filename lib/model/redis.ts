import { SecretKeyRef, checkSecretRef, isDnsSubdomain } from '../core/checks';
import { Problem, show } from '../core/problems';

/** How Discourse reaches Redis (the charm's redis relation). */
export interface RedisConnection {
  /** Redis host (a Service name or DNS name). */
  readonly host: string;
  /** @default 6379 */
  readonly port?: number;
  /** Password, from a Secret. @default - no password */
  readonly password?: SecretKeyRef;
}

/** Problems with a Redis connection, naming `path`. */
export function validateRedis(redis: RedisConnection, path: string): Problem[] {
  const problems: Problem[] = [];
  if (typeof redis.host !== 'string' || !isDnsSubdomain(redis.host)) {
    problems.push({ path: `${path}.host`, message: `${show(redis.host)} is not a hostname`, fix: 'use the Redis Service name, e.g. redis-master' });
  }
  if (redis.port !== undefined && !(Number.isInteger(redis.port) && redis.port >= 1 && redis.port <= 65535)) {
    problems.push({ path: `${path}.port`, message: `${show(redis.port)} is not a TCP port`, fix: 'use 1-65535, usually 6379' });
  }
  if (redis.password !== undefined) checkSecretRef(redis.password, `${path}.password`, problems);
  return problems;
}

/** The Service of the exporter beside a Valkey server the site runs (`redis.create`), and so the Prometheus `job` of its series. */
export function redisMetricsJob(serviceName: string): string {
  return `${serviceName}-metrics`;
}
