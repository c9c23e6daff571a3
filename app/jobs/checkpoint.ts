/**
 * Where a simulation keeps its checkpoint: beside its result, `OUTPUT_URI` + `.checkpoint.json`
 * (unless the task is given CHECKPOINT_URI). The program deletes it once the result is written;
 * the task-events handler deletes it when a job ends without a result.
 */
export function checkpointUriFor(outputUri: string): string {
  return `${outputUri}.checkpoint.json`;
}
