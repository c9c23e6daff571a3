// pino's transport machinery (thread-stream, a worker thread, atomic-sleep, real-require) for
// bundles that never configure a transport: app/logger.ts writes JSON lines to stdout through
// pino's default destination (sonic-boom), which this leaves untouched. pino requires the
// transport module at load time only to have it ready; asking for one here says why it is absent.
function transport() {
  throw new Error('pino transports are not bundled: app/logger.ts writes to stdout (scripts/build.ts)');
}
module.exports = transport;
