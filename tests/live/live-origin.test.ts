/** The Origin rule of the WebSocket upgrade, with a configured allow-list (PUBLIC_ORIGINS). */
import { describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { originAllowed } from '../../src/live/live-routes.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as FastifyRequest;

describe('originAllowed', () => {
  const list = ['https://hall.example.org', 'https://stream.example.org'];

  it('accepts the listed origins, the service’s own, and clients that send none', () => {
    expect(originAllowed(req({ host: 'api.example.org', origin: 'https://hall.example.org' }), list)).toBe(true);
    expect(originAllowed(req({ host: 'api.example.org', origin: 'https://api.example.org' }), list)).toBe(true);
    expect(originAllowed(req({ host: 'api.example.org' }), list)).toBe(true);
  });

  it('refuses any other origin, look-alikes and garbage included', () => {
    for (const origin of [
      'https://evil.example',
      'https://hall.example.org.evil.example',
      'http://hall.example.org',
      'null',
      'not a url',
    ]) {
      expect(originAllowed(req({ host: 'api.example.org', origin }), list), origin).toBe(false);
    }
  });

  it('with no list, allows only the same origin', () => {
    expect(originAllowed(req({ host: 'localhost:3000', origin: 'http://localhost:3000' }), [])).toBe(true);
    expect(originAllowed(req({ host: 'localhost:3000', origin: 'http://localhost:3001' }), [])).toBe(false);
  });
});
