// sonic-boom requires node:assert when it loads, for one check on each write that holds unless
// the destination is misconfigured; loading assert cost every cold start a few modules. This
// checks the same condition and, only when it fails, throws node:assert's own AssertionError.
module.exports = function assert(value, message) {
  if (!value) require('node:assert')(value, message);
};
