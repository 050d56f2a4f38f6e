import { hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hkdfSha256 } from '../../src/http/idempotency.js';

// Stored idempotency answers are sealed under keys derived from the client's key: the
// derivation must give exactly RFC 5869's bytes, or answers stored before an upgrade could
// no longer be opened when a client retries.
describe('hkdfSha256', () => {
  it('equals node:crypto hkdfSync for one 32-byte block, with and without a salt', () => {
    for (let i = 0; i < 200; i++) {
      const ikm = randomBytes(1 + (i % 60)).toString('base64url');
      const salt = i % 3 === 0 ? '' : randomBytes(16).toString('hex');
      const info = i % 2 ? 'plenary-idempotency-seal' : 'plenary-idempotency-request';
      expect(hkdfSha256(ikm, salt, info).toString('hex')).toBe(
        Buffer.from(hkdfSync('sha256', ikm, salt, info, 32)).toString('hex'),
      );
    }
  });

  it("matches RFC 5869's test case 3 (empty salt and info)", () => {
    // RFC 5869 A.3: IKM = 22 bytes of 0x0b, salt and info empty; OKM's first 32 bytes.
    const ikm = Buffer.alloc(22, 0x0b).toString('latin1');
    expect(hkdfSha256(ikm, '', '').toString('hex')).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d',
    );
  });
});
