// pino reads `isMainThread` from worker_threads when it loads, to flush its stdout stream on exit
// only from the main thread. Every bundle built by scripts/build.ts is a process entry point (the
// ECS server, the simulation program, Lambda handlers) and its logger lives on the main thread;
// the worker thread pino could run in belongs to its transports, which bundles leave out
// (scripts/stubs/pino-transport.cjs). Loading worker_threads cost every cold start its modules.
module.exports = { isMainThread: true };
