// pino.multistream for bundles that log to one destination: app/logger.ts writes to stdout only.
// pino requires the module at load time to export it; asking for it here says why it is absent.
function multistream() {
  throw new Error('pino.multistream is not bundled: app/logger.ts writes to stdout only (scripts/build.ts)');
}
module.exports = multistream;
