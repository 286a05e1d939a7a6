/** A sensor started for one capture by `evidence:refresh`. */
export interface SensorSession {
  /** Short name: agent, auditd. */
  name: string;
  /** Pid of the sensor process the refresh started. */
  pid: number;
  executable: string;
  /** Where its events end up (read after stop). */
  capture: string;
  /** Versions to record in the evidence file. */
  tools: Record<string, string>;
  /** Stops the sensor and undoes every change it made to the host. */
  stop: () => Promise<void>;
}
