import type { HostCapabilities } from './lib/host.ts';
import type { RunContext } from './lib/recorder.ts';
import type { SubCategoryId } from './manifest.schema.ts';

/** One generator: a real, harmless activity that proves one or more sub-categories. */
export interface Generator {
  /** snake_case name used on the command line. */
  name: string;
  /** One sentence: what it does. */
  summary: string;
  subCategories: SubCategoryId[];
  /** Generators that do not need root run as `nobody` when started as root. */
  needsRoot: boolean;
  /** Why root is needed, completing "needs root to ...". */
  rootReason?: string;
  /** What on the host it creates or reads, all removed again. */
  touches: string;
  /** Why this host cannot run it at all (missing kernel feature or command), else undefined. */
  unavailable: (host: HostCapabilities) => string | undefined;
  /** How this host changes what the run does (shown by --list), e.g. no daemon-reload without systemd. */
  hostNote?: (host: HostCapabilities) => string | undefined;
  /**
   * A host setting the root parent changes around the run of a generator dropped to nobody (e.g.
   * letting it bind port 53); returns the undo, which runs however the run ends.
   */
  hostSetupAsRoot?: (log: (line: string) => void) => () => void;
  /** Performs and records the activity; registers cleanups on ctx before creating anything. */
  run: (ctx: RunContext, host: HostCapabilities) => Promise<void>;
}
