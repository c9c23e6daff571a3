// pino's redaction (@pinojs/redact) for bundles whose logger sets no `redact` paths: app/logger.ts
// sets none. pino requires the module at load time and calls it only when `redact` is given;
// asking for it here says why it is absent.
function redaction() {
  throw new Error('pino redaction is not bundled: app/logger.ts sets no redact paths (scripts/build.ts)');
}
module.exports = redaction;
