/**
 * Badge access codes for delegates: 100 bits from the CSPRNG, written in Crockford's
 * base32 (no I, L, O, U: nothing to misread on a printed badge) as five groups of four.
 * Because the code is high-entropy, a fast SHA-256 is a sound way to store it (no
 * dictionary to attack), and it lets sign-in find the delegate by an indexed hash.
 */
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function generateAccessCode(): string {
  const bytes = randomBytes(20);
  let out = '';
  for (let i = 0; i < 20; i++) out += ALPHABET[bytes[i]! & 31];
  return out.match(/.{4}/g)!.join('-');
}

/** Case, spaces, dashes and the usual misreadings do not matter when typing a code. */
export function normalizeAccessCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replace(/[OQ]/g, '0').replace(/[IL]/g, '1');
}

export function hashAccessCode(code: string): string {
  return createHash('sha256')
    .update(`plenary-access-code:${normalizeAccessCode(code)}`)
    .digest('hex');
}
