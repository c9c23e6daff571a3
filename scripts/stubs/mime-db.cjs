// Bundles replace mime-db (150 KB of JSON evaluated at every cold start) with the types this app
// can send. Express loads it for res.type(), res.sendFile() and static files, which handlers do
// not use: they set their own content types. An unknown extension falls back to
// application/octet-stream, as mime-types does for anything it does not know.
module.exports = {
  'application/json': { source: 'iana', charset: 'UTF-8', compressible: true, extensions: ['json'] },
  'application/octet-stream': { source: 'iana', compressible: false, extensions: ['bin'] },
  'application/x-www-form-urlencoded': { source: 'iana', compressible: true },
  'text/html': { source: 'iana', compressible: true, extensions: ['html', 'htm'] },
  'text/plain': { source: 'iana', compressible: true, extensions: ['txt', 'text'] },
  'image/png': { source: 'iana', compressible: false, extensions: ['png'] },
};
