/**
 * Constant pieces of output as bytes, and the copy that puts them in a
 * buffer: for keys like `,"sport":` a short loop beats Buffer#write, which
 * crosses into C++ and re-encodes the string every time.
 */

export function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

export function putBytes(dst: Buffer, pos: number, src: Uint8Array): number {
  for (let i = 0; i < src.length; i++) dst[pos++] = src[i]!;
  return pos;
}

const jsonStrings = new Map<string, Uint8Array>();
/** Above this many distinct strings the cache is dropped (interface names from hostile pcapng files). */
const JSON_STRING_CACHE_LIMIT = 256;

/**
 * `text` as a JSON string literal in UTF-8, quotes included. Cached, because
 * the strings that reach it (interface names, decoder error phrases) repeat on
 * every packet. JSON.stringify escapes quotes, backslashes, control
 * characters and lone surrogates, which is all JSON needs.
 */
export function jsonStringBytes(text: string): Uint8Array {
  let encoded = jsonStrings.get(text);
  if (encoded === undefined) {
    if (jsonStrings.size >= JSON_STRING_CACHE_LIMIT) jsonStrings.clear();
    encoded = bytes(JSON.stringify(text));
    jsonStrings.set(text, encoded);
  }
  return encoded;
}
