// Bundles replace zod's index of 40+ locales (a quarter megabyte parsed at every cold start) with
// English only, the one the app uses for its error messages.
export { default as en } from '../../node_modules/zod/v4/locales/en.js';
