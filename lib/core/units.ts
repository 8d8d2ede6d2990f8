import { createHash } from 'crypto';
import { Size, SizeRoundingBehavior } from 'cdk8s';

/** Units and hashing, pure: sizes, Kubernetes quantities, Go durations, content hashes. */

const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

/** A Go duration (`500ms`, `1m30s`) in milliseconds, or undefined if it is not one. */
export function parseGoDuration(value: string): number | undefined {
  if (!DURATION.test(value)) return undefined;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]];
  return total;
}

/** A size as whole mebibytes (what manifests print), or undefined if it is not a positive whole number of them. */
export function wholeMebibytes(size: Size): number | undefined {
  const kib = size.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
  return kib >= 1024 && kib % 1024 === 0 ? kib / 1024 : undefined;
}

/** A validated size as a Kubernetes quantity: whole Gi when possible, else Mi. */
export function sizeQuantity(size: Size): string {
  const mib = wholeMebibytes(size) ?? size.toMebibytes();
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}

/** A size quantity in bytes (binary and decimal suffixes), or undefined if unreadable. */
export function quantityBytes(q: unknown): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(String(q ?? ''));
  if (!m) return undefined;
  const unit: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };
  return Number(m[1]) * (m[2] ? unit[m[2]] : 1);
}

/** Short content hash used to roll pods when the layer changes. */
export function contentHash(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}
