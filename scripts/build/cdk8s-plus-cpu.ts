/**
 * What the bundled CLI (build/cli.js) gets for `import { Cpu } from 'cdk8s-plus-28'`: the one
 * value of cdk8s-plus-28 the site pipeline uses, so the CLI does not load all of cdk8s-plus-28
 * (about 5 MB of JavaScript) to build CPU quantities. cdk8s-plus-28 2.5.6's Cpu is this class:
 * an `amount` string made by `millis` and `units`; test/package-build.test.ts holds the two
 * together. The library (build/lib) keeps the real cdk8s-plus-28 import, whose Cpu
 * TypeScript users pass in.
 */
export class Cpu {
  public static millis(amount: number): Cpu {
    return new Cpu(`${amount}m`);
  }

  public static units(amount: number): Cpu {
    return new Cpu(amount.toString());
  }

  private constructor(public readonly amount: string) {}
}
