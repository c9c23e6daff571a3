import { isUtf8 } from 'node:buffer';

/**
 * Which bodies travel as text and which as base64. API Gateway and ALB base64-encode anything that
 * is not text, so a handler sees the same `isBase64Encoded` on both runtimes only if both apply the
 * same rule. Both directions (request bodies, response bodies) use this one predicate.
 */
const TEXT_TYPES = [
  /^text\//i,
  /^application\/(json|xml|javascript|ecmascript|x-www-form-urlencoded|graphql|x-ndjson|yaml|x-yaml)\b/i,
  /^application\/[\w.-]+\+(json|xml)\b/i,
  /^image\/svg\+xml\b/i,
];

/** Content encodings that make any body binary, whatever its type. */
const BINARY_ENCODINGS = /\b(gzip|deflate|br|compress|zstd)\b/i;

export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  let text = knownTypes.get(contentType);
  if (text === undefined) {
    const mediaType = contentType.split(';', 1)[0]?.trim() ?? '';
    text = TEXT_TYPES.some((pattern) => pattern.test(mediaType));
    // An API answers with a handful of types: remember them, but never let clients grow the map.
    if (knownTypes.size < KNOWN_TYPES_LIMIT) knownTypes.set(contentType, text);
  }
  return text;
}

const KNOWN_TYPES_LIMIT = 64;
const knownTypes = new Map<string, boolean>();

/**
 * A body is sent as base64 when its content type is not text, or it is content-encoded. A body
 * without a content type is text only if it is valid UTF-8.
 */
export function isBinaryBody(
  headers: { contentType: string | undefined; contentEncoding?: string | undefined },
  body?: Uint8Array,
): boolean {
  if (headers.contentEncoding && BINARY_ENCODINGS.test(headers.contentEncoding)) return true;
  if (headers.contentType === undefined || headers.contentType === '') {
    return body !== undefined && !isUtf8(body);
  }
  return !isTextContentType(headers.contentType);
}
