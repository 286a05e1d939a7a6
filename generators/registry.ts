/** Every generator, in the order `all` runs them. */

import { memfdCreateExec } from './activities/memfd-create-exec.ts';
import type { Generator } from './generator.types.ts';

export const GENERATORS: readonly Generator[] = [memfdCreateExec];

export function findGenerator(name: string): Generator | undefined {
  return GENERATORS.find((g) => g.name === name);
}
