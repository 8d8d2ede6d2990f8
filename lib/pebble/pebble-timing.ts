import type * as k8s from '../../imports/k8s';
import { PebbleCheck, PebbleLayer } from './pebble';
import { parseGoDuration } from '../core/units';

/**
 * How Pebble's checks, the kubelet's probes and Pebble's shutdown behave in time, as pure
 * arithmetic, so the layer and the probes can be sized (and tested) against it. The
 * constants are Pebble's, read from canonical/pebble v1.32.1 and checked against v1.1.1.
 */

/** Pebble's built-in timings (seconds) that a layer cannot change. */
export const PEBBLE_TIMINGS = {
  /** Check `period` default (plan.go). */
  checkPeriod: 10,
  /** Check `timeout` default (plan.go); Pebble caps it to the period. */
  checkTimeout: 3,
  /** Check `threshold` default (plan.go). */
  checkThreshold: 3,
  /** Service `kill-delay` default (servstate/handlers.go killDelayDefault). */
  killDelay: 5,
  /** Service `backoff-limit` default (plan.go): the longest wait before an on-failure restart. */
  backoffLimit: 30,
  /** Wait after SIGKILL before Pebble gives up on a process (servstate/handlers.go failDelay). */
  failDelay: 5,
  /** Slack ServiceManager.StopTimeout adds "for signals to be sent and processed" (servstate/manager.go). */
  stopSlack: 0.1,
  /** How long the daemon then waits for its HTTP server to close (daemon.go shutdownTimeout). */
  httpShutdown: 1,
} as const;

/** The kubelet's probe defaults (seconds), for probe fields left out. */
const KUBELET_PROBE = { periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 } as const;

/** When a check or probe runs and when it gives up: the three numbers its timing depends on. */
export interface Cadence {
  /** Seconds between the starts of two runs. */
  readonly periodSeconds: number;
  /** Seconds one run may take before it counts as failed. */
  readonly timeoutSeconds: number;
  /** Failed runs in a row before it reports the failure (or acts on it). */
  readonly threshold: number;
}

const seconds = (duration: string | undefined, fallback: number): number => {
  if (duration === undefined) return fallback;
  const ms = parseGoDuration(duration);
  if (ms === undefined) throw new Error(`${JSON.stringify(duration)} is not a Go duration`);
  return ms / 1000;
};

/** A Pebble check's cadence with Pebble's defaults filled in and the timeout capped to the period, as Pebble does. */
export function checkCadence(check: PebbleCheck): Cadence {
  const periodSeconds = seconds(check.period, PEBBLE_TIMINGS.checkPeriod);
  return {
    periodSeconds,
    timeoutSeconds: Math.min(seconds(check.timeout, PEBBLE_TIMINGS.checkTimeout), periodSeconds),
    threshold: check.threshold ?? PEBBLE_TIMINGS.checkThreshold,
  };
}

/** A kubelet probe's cadence with the kubelet's defaults filled in. */
export function probeCadence(probe: k8s.Probe): Cadence {
  return {
    periodSeconds: probe.periodSeconds ?? KUBELET_PROBE.periodSeconds,
    timeoutSeconds: probe.timeoutSeconds ?? KUBELET_PROBE.timeoutSeconds,
    threshold: probe.failureThreshold ?? KUBELET_PROBE.failureThreshold,
  };
}

/**
 * Worst case from the app failing to the check (or probe) reporting it: the app fails
 * just after a passing run, then `threshold` runs fail, the last one only when its
 * timeout expires (a frozen app accepts the connection and never answers).
 */
export function worstCaseDetectionSeconds(c: Cadence): number {
  return c.threshold * c.periodSeconds + c.timeoutSeconds;
}

/**
 * The longest stretch of failures that can never trip it, whatever the phase of its
 * runs: the first failing run may come right at the start of the stretch, so `threshold`
 * failing runs fit into anything longer than `threshold - 1` periods. Pebble runs a
 * check on its own ticker (checkstate handlers.go doPerformCheck: first run one period
 * after the check starts, not when a service starts), so a service restart can fall at
 * any phase.
 */
export function toleranceSeconds(c: Cadence): number {
  return (c.threshold - 1) * c.periodSeconds;
}

/** The smallest threshold whose tolerance covers a failing stretch of `stretchSeconds`. */
export function thresholdToTolerate(stretchSeconds: number, periodSeconds: number): number {
  return Math.ceil(stretchSeconds / periodSeconds) + 1;
}

/**
 * The longest Pebble can take to exit after SIGTERM, so the pod's grace period must be
 * longer. daemon.go Stop → stopRunningServices stops every running service in one change
 * and waits for it at most ServiceManager.StopTimeout() = the longest kill-delay +
 * failDelay + 100 ms, then gives its HTTP server shutdownTimeout (1 s) and exits. The
 * bound holds whatever the order inside the change (lanes since v1.16, a chain before).
 */
export function pebbleStopBoundSeconds(layer: PebbleLayer): number {
  const killDelays = Object.values(layer.services ?? {}).map((s) => seconds(s.killDelay, PEBBLE_TIMINGS.killDelay));
  const longest = Math.max(PEBBLE_TIMINGS.killDelay, ...killDelays);
  return longest + PEBBLE_TIMINGS.failDelay + PEBBLE_TIMINGS.stopSlack + PEBBLE_TIMINGS.httpShutdown;
}
