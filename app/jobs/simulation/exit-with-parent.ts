/**
 * Run locally, the simulation program must not outlive the server that started it
 * (app/jobs/local-task-runner.ts). Node has no prctl(PR_SET_PDEATHSIG), so the server gives the
 * program a stdin pipe it never writes to: when the server dies, however it dies, the pipe
 * closes. With EXIT_WHEN_STDIN_CLOSES=1 this module watches for that.
 *
 * The runner preloads it (`node --import`), so the watch is on before the program's own imports
 * load, which takes seconds on a busy machine: a server killed meanwhile leaves no orphan. Until
 * the program says how it stops (`whenParentGone`), it simply exits; nothing was done yet.
 */
const EXIT_TERMINATED = 143;

let onParentGone: (() => void) | undefined;
let gone = false;

/** Runs `handler` once the parent is gone (at once if it is gone already). */
export function whenParentGone(handler: () => void): void {
  onParentGone = handler;
  if (gone) handler();
}

if (process.env.EXIT_WHEN_STDIN_CLOSES === '1') {
  const parentGone = () => {
    if (gone) return;
    gone = true;
    if (onParentGone) onParentGone();
    else process.exit(EXIT_TERMINATED);
  };
  process.stdin.once('end', parentGone);
  process.stdin.once('close', parentGone);
  process.stdin.once('error', parentGone);
  process.stdin.resume();
}
