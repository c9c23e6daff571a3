// Bundles load the three classes the rate limiter uses straight from their files: the package's
// index requires every backend it supports (Mongo, MySQL, Postgres, DynamoDB, Prisma, etcd…).
module.exports = {
  RateLimiterRedis: require('../../node_modules/rate-limiter-flexible/lib/RateLimiterRedis.js'),
  RateLimiterMemory: require('../../node_modules/rate-limiter-flexible/lib/RateLimiterMemory.js'),
  RateLimiterRes: require('../../node_modules/rate-limiter-flexible/lib/RateLimiterRes.js'),
};
