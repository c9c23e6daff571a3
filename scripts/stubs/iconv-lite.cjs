// Bundles replace iconv-lite (480 KB, loaded by body-parser) with this: the app reads bodies as
// raw bytes and never decodes a charset, so nothing may call it. If something does, it says so.
function unsupported(name) {
  return () => {
    throw new Error(`iconv-lite.${name}() is not bundled: charset decoding is not supported here`);
  };
}
module.exports = {
  encodingExists: () => false,
  getDecoder: unsupported('getDecoder'),
  getEncoder: unsupported('getEncoder'),
  decode: unsupported('decode'),
  encode: unsupported('encode'),
};
