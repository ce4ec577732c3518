import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Key format: sc_<prefix>_<secret>. The prefix (8 chars) is stored in clear to find the row
 * and to let people tell keys apart; the whole key is stored only as a SHA-256 hash. The
 * secret carries ~190 bits of entropy, so a fast hash is enough: nothing can be brute-forced.
 */
export const API_KEY_PATTERN = /^sc_([A-Za-z0-9]{8})_([A-Za-z0-9]{32,})$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface GeneratedApiKey {
  key: string;
  prefix: string;
  hash: string;
}

export function randomToken(length: number): string {
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 62).
  const limit = 256 - (256 % ALPHABET.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit && out.length < length) out += ALPHABET[byte % ALPHABET.length];
    }
  }
  return out;
}

export function generateApiKey(): GeneratedApiKey {
  const prefix = randomToken(8);
  const key = `sc_${prefix}_${randomToken(32)}`;
  return { key, prefix, hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Returns the lookup prefix, or null when the string cannot be one of our keys. */
export function parseApiKey(key: string): { prefix: string } | null {
  const match = API_KEY_PATTERN.exec(key);
  return match ? { prefix: match[1] } : null;
}

export function apiKeyMatchesHash(key: string, storedHash: string): boolean {
  const actual = Buffer.from(hashApiKey(key), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
