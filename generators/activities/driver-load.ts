/** Driver load is never performed: loading a module changes the running kernel. The run only
 * records why the sub-category cannot be proven by this tool on this host. */
import type { Generator } from '../generator.types.ts';

export const driverLoad: Generator = {
  name: 'driver_load',
  summary: 'Never loads a kernel module; records driver-load as not possible, with the reason.',
  subCategories: ['driver-load'],
  needsRoot: true,
  rootReason: 'load a kernel module',
  touches: 'nothing',
  unavailable: (host) =>
    host.kernelModules
      ? 'Loading a kernel module is not harmless (it changes the running kernel), so this tool never does it. To prove driver-load, load a module you trust by hand (modprobe <module>) and record it.'
      : `Not possible: ${host.kernelModulesReason}, so no driver can be loaded at all.`,
  async run() {
    // unavailable() always answers, so the CLI records not-possible without starting a run.
  },
};
