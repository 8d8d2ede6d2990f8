import { Duration, Size } from 'cdk8s';
import { SecretKeyRef, checkSecretRef } from '../lib/core/checks';
import { Problem, didYouMean, show } from '../lib/core/problems';

/**
 * A small typed reader for site files: each `read*` checks one value, records a
 * problem naming its path when the value has the wrong shape, and returns
 * undefined then. Nothing is coerced silently.
 */
export class Reader {
  constructor(public readonly problems: Problem[]) {}

  /** An object whose keys must all be in `known`; typos get a suggestion. */
  public section(value: unknown, path: string, known: readonly string[]): Record<string, unknown> | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      // `monitoring: false` reads well but is not the form: a section switches off with `enabled`.
      const fix = typeof value === 'boolean' && known.includes('enabled') ? `write ${path}: { enabled: ${value} }` : `write ${path} as key: value pairs`;
      this.problems.push({ path, message: `${show(value)} is not a mapping`, fix });
      return undefined;
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!known.includes(key)) {
        const suggestion = didYouMean(key, known);
        this.problems.push({
          path: path === '' ? key : `${path}.${key}`,
          message: 'is not a known key',
          fix: suggestion ? `did you mean "${suggestion}"?` : `use one of ${known.join(', ')}`,
        });
      }
    }
    return record;
  }

  public string(value: unknown, path: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number') {
      // YAML reads `tag: 3.4` as a number (and `3.10` as 3.1): say how to write the string.
      this.problems.push({
        path,
        message: `${show(value)} is a number, not a string`,
        fix: `quote it: ${path.split('.').pop()}: "${value}" (unquoted, YAML also reads 3.10 as 3.1)`,
      });
      return undefined;
    }
    if (typeof value !== 'string') {
      this.problems.push({ path, message: `${show(value)} is not a string`, fix: 'quote the value' });
      return undefined;
    }
    return value;
  }

  public oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T | undefined {
    if (value === undefined || value === null) return undefined;
    if (!allowed.includes(value as T)) {
      this.problems.push({ path, message: `${show(value)} is not one of ${allowed.join(', ')}`, fix: `use one of ${allowed.join(', ')}` });
      return undefined;
    }
    return value as T;
  }

  public boolean(value: unknown, path: string): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') {
      this.problems.push({ path, message: `${show(value)} is not a boolean`, fix: 'write true or false' });
      return undefined;
    }
    return value;
  }

  public integer(value: unknown, path: string): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.problems.push({ path, message: `${show(value)} is not a whole number`, fix: 'write a number without quotes' });
      return undefined;
    }
    return value;
  }

  public stringMap(value: unknown, path: string): Record<string, string> | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
      this.problems.push({ path, message: `${show(value)} is not a map of strings`, fix: 'write key: "value" pairs with quoted values' });
      return undefined;
    }
    return value as Record<string, string>;
  }

  public stringList(value: unknown, path: string): string[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      this.problems.push({ path, message: `${show(value)} is not a list of strings`, fix: 'write a YAML list of strings' });
      return undefined;
    }
    return value as string[];
  }

  public secret(value: unknown, path: string): SecretKeyRef | undefined {
    if (value === undefined || value === null) return undefined;
    return checkSecretRef(value, path, this.problems);
  }

  /** A duration written as `20s`, `5m`, `1h`, `7d` or a number of seconds. */
  public duration(value: unknown, path: string): Duration | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return Duration.seconds(value);
    const m = typeof value === 'string' ? /^(\d+)(s|m|h|d)$/.exec(value) : null;
    if (!m) {
      this.problems.push({ path, message: `${show(value)} is not a duration`, fix: 'write e.g. 20s, 10m, 1h or 7d' });
      return undefined;
    }
    const amount = Number(m[1]);
    return { s: Duration.seconds, m: Duration.minutes, h: Duration.hours, d: Duration.days }[m[2] as 's' | 'm' | 'h' | 'd'](amount);
  }

  /** A storage size written as `512Mi` or `20Gi`. */
  public size(value: unknown, path: string): Size | undefined {
    if (value === undefined || value === null) return undefined;
    const m = typeof value === 'string' ? /^(\d+)(Mi|Gi|Ti)$/.exec(value) : null;
    if (!m || Number(m[1]) === 0) {
      this.problems.push({ path, message: `${show(value)} is not a size`, fix: 'write e.g. 512Mi, 20Gi or 1Ti' });
      return undefined;
    }
    const amount = Number(m[1]);
    return m[2] === 'Mi' ? Size.mebibytes(amount) : m[2] === 'Gi' ? Size.gibibytes(amount) : Size.tebibytes(amount);
  }
}
