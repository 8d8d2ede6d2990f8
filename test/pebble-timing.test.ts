import { PebbleCheck, PebbleLayer } from '../lib/pebble/pebble';
import {
  Cadence,
  checkCadence,
  pebbleStopBoundSeconds,
  probeCadence,
  thresholdToTolerate,
  toleranceSeconds,
  worstCaseDetectionSeconds,
} from '../lib/pebble/pebble-timing';

/**
 * Failing runs of a check whose runs fall at `phase + k * period` (k >= 0) during a
 * failing stretch of `stretch` seconds, and whether they reach the threshold: the
 * brute-force model the closed-form functions are checked against.
 */
function trips(c: Cadence, stretch: number, phase: number): boolean {
  let failures = 0;
  for (let t = phase; t < stretch; t += c.periodSeconds) failures++;
  return failures >= c.threshold;
}

const phases = (period: number): number[] => Array.from({ length: 20 }, (_, i) => (i * period) / 20);

describe('checkCadence: Pebble defaults and the timeout cap', () => {
  const http = { url: 'http://localhost:3000/srv/status' };
  test.each<[string, PebbleCheck, Cadence]>([
    ['no timing set', { override: 'replace', http }, { periodSeconds: 10, timeoutSeconds: 3, threshold: 3 }],
    [
      'a 5 s period, 1 s timeout, threshold 1',
      { override: 'replace', period: '5s', timeout: '1s', threshold: 1, http },
      { periodSeconds: 5, timeoutSeconds: 1, threshold: 1 },
    ],
    [
      'a timeout longer than the period (Pebble caps it)',
      { override: 'replace', period: '2s', timeout: '3s', http },
      { periodSeconds: 2, timeoutSeconds: 2, threshold: 3 },
    ],
    ['a compound duration', { override: 'replace', period: '1m30s', threshold: 2, http }, { periodSeconds: 90, timeoutSeconds: 3, threshold: 2 }],
  ])('%s', (_name, check, expected) => {
    expect(checkCadence(check)).toEqual(expected);
  });

  test('fails if a duration is not a Go duration, naming it', () => {
    expect(() => checkCadence({ override: 'replace', period: '30 seconds', http })).toThrow('"30 seconds" is not a Go duration');
  });
});

test.each<[string, object, Cadence]>([
  ['kubelet defaults', {}, { periodSeconds: 10, timeoutSeconds: 1, threshold: 3 }],
  ['Juju readiness', { periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 1 }, { periodSeconds: 5, timeoutSeconds: 1, threshold: 1 }],
])('probeCadence: %s', (_name, probe, expected) => {
  expect(probeCadence(probe)).toEqual(expected);
});

describe('worstCaseDetectionSeconds', () => {
  test.each<[string, Cadence, number]>([
    // The issue: a dead app (connection refused, no timeout) was reported 21-30 s late.
    ["Pebble's defaults (3 x 10 s, 3 s timeout)", { periodSeconds: 10, timeoutSeconds: 3, threshold: 3 }, 33],
    // The issue: period 5 s, threshold 1 answered 502 at +5.1 s.
    ['period 5 s, threshold 1, timeout 1 s', { periodSeconds: 5, timeoutSeconds: 1, threshold: 1 }, 6],
    ['kubelet liveness as Juju sets it', { periodSeconds: 5, timeoutSeconds: 1, threshold: 3 }, 16],
  ])('%s: %i s', (_name, cadence, expected) => {
    expect(worstCaseDetectionSeconds(cadence)).toBe(expected);
  });
});

describe('toleranceSeconds and thresholdToTolerate agree with a run-by-run model at every phase', () => {
  test.each<[number, number]>([
    [30, 10],
    [600, 10],
    [1230, 30],
    [95, 30],
    [7, 5],
  ])('a %i s stretch with a %i s period', (stretch, period) => {
    const threshold = thresholdToTolerate(stretch, period);
    const cadence = { periodSeconds: period, timeoutSeconds: 1, threshold };
    expect(toleranceSeconds(cadence)).toBeGreaterThanOrEqual(stretch);
    // Never trips within the stretch, whatever the phase...
    expect(phases(period).filter((phase) => trips(cadence, stretch, phase))).toEqual([]);
    // ...and one failure fewer would trip it at some phase, so the threshold is the smallest that works.
    const tighter = { ...cadence, threshold: threshold - 1 };
    expect(phases(period).filter((phase) => trips(tighter, stretch, phase)).length).toBeGreaterThan(0);
  });
});

describe("pebbleStopBoundSeconds: Pebble's stop change timeout plus its HTTP shutdown", () => {
  const svc = (killDelay?: string) => ({ override: 'replace' as const, command: 'x', killDelay });
  test.each<[string, PebbleLayer, number]>([
    ['no services (the 5 s default still applies)', {}, 11.1],
    ['one service with the default kill-delay', { services: { a: svc() } }, 11.1],
    ['the longest kill-delay counts, not the sum', { services: { a: svc('20s'), b: svc('22s'), c: svc() } }, 28.1],
    ['a kill-delay in minutes', { services: { a: svc('5m') } }, 306.1],
  ])('%s', (_name, layer, expected) => {
    expect(pebbleStopBoundSeconds(layer)).toBeCloseTo(expected, 6);
  });
});
