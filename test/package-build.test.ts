import { Cpu as RealCpu } from 'cdk8s-plus-28';
import { Cpu as BundledCpu } from '../scripts/build/cdk8s-plus-cpu';

/**
 * The bundled CLI (scripts/build.ts) gets scripts/build/cdk8s-plus-cpu.ts for cdk8s-plus-28,
 * whose Cpu is all the site pipeline uses of it. It must stay the same class: same factories,
 * same amounts (the package test then compares whole renderings byte for byte).
 */
describe('the bundle’s Cpu stand-in', () => {
  test('has exactly the static factories of cdk8s-plus-28’s Cpu', () => {
    const statics = (c: object) =>
      Object.getOwnPropertyNames(c)
        .filter((n) => !['length', 'name', 'prototype'].includes(n))
        .sort();
    expect(statics(BundledCpu)).toEqual(statics(RealCpu));
  });

  test.each([
    ['millis', 500],
    ['millis', 250],
    ['millis', 1],
    ['units', 2],
    ['units', 1],
    ['units', 0.5],
    ['units', 1.25],
  ] as const)('%s(%p) gives the same amount', (factory, amount) => {
    expect(BundledCpu[factory](amount).amount).toBe(RealCpu[factory](amount).amount);
  });
});
