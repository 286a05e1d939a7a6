/** The run cannot happen on this host (missing feature, privilege, binary). `reason` says what to do. */
export class NotPossible extends Error {
  override name = 'NotPossible';
}

/** A step did not do what the generator needed; the run is marked failed and cleaned up. */
export class StepFailed extends Error {
  override name = 'StepFailed';
}

/** SIGINT/SIGTERM arrived; the run stops at the next step and cleans up. */
export class Interrupted extends Error {
  override name = 'Interrupted';
}
