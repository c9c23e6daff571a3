/**
 * Run locally, the simulation program must not outlive the server that started it
 * (app/jobs/local-task-runner.ts). Node has no prctl(PR_SET_PDEATHSIG), so the server gives the
 * program a stdin pipe it never writes to: when the server dies, however it dies, the pipe
 * closes. With EXIT_WHEN_STDIN_CLOSES=1 this module watches for that. A later attempt of the
 * same job asking this one to stop (exclusive-attempt.ts) is handled the same way.
 *
 * The runner preloads it (`node --import`), so the watch is on before the program's own imports
 * load, which takes seconds on a busy machine: a server killed meanwhile leaves no orphan. Until
 * the program says how it stops (`whenToldToStop`), it simply exits; nothing was done yet.
 */
const EXIT_TERMINATED = 143;

let onStop: (() => void) | undefined;
let told = false;

/** Runs `handler` once the process is told to stop (at once if it was told already). */
export function whenToldToStop(handler: () => void): void {
  onStop = handler;
  if (told) handler();
}

/** The local equivalent of SIGTERM: the program checkpoints and exits, or exits at once if it has not started. */
export function stopLocally(): void {
  if (told) return;
  told = true;
  if (onStop) onStop();
  else process.exit(EXIT_TERMINATED);
}

if (process.env.EXIT_WHEN_STDIN_CLOSES === '1') {
  process.stdin.once('end', stopLocally);
  process.stdin.once('close', stopLocally);
  process.stdin.once('error', stopLocally);
  process.stdin.resume();
}
