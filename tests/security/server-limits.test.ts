/**
 * Slow clients and too many connections (issue 20, lows): a client that sends its headers
 * (or its body) slowly is cut off after the configured timeouts, and connections past the
 * cap are dropped, while the service keeps answering everyone else. Real sockets.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, testConfig, type TestApp } from '../support/test-app.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listen(t: TestApp): Promise<number> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return (t.app.server.address() as net.AddressInfo).port;
}

/**
 * Connects, sends `prefix` at once, then dribbles `text` one byte every `everyMs`; resolves
 * when the server ends the connection (or at `maxMs`).
 */
function dribble(port: number, text: string, everyMs: number, maxMs: number, prefix = '') {
  return new Promise<{ cutAfterMs: number | null; answer: string }>((resolve) => {
    const t0 = performance.now();
    const sock = net.connect(port, '127.0.0.1');
    if (prefix) sock.write(prefix);
    let answer = '';
    let i = 0;
    let done = false;
    const finish = (cut: boolean) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(limit);
      sock.destroy();
      resolve({ cutAfterMs: cut ? performance.now() - t0 : null, answer });
    };
    const timer = setInterval(() => {
      if (i < text.length && sock.writable) sock.write(text[i++]!);
    }, everyMs);
    const limit = setTimeout(() => finish(false), maxMs);
    sock.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
  });
}

describe('timeouts against slow clients', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    const base = testConfig();
    t = await createTestApp({
      config: {
        server: {
          ...base.server,
          headersTimeoutMs: 1000,
          requestTimeoutMs: 2000,
          connectionTimeoutMs: 5000,
        },
      },
    });
    port = await listen(t);
  });
  afterAll(async () => t?.close());

  it('headers sent one byte every 100 ms are cut off after the headers timeout; others are served meanwhile', async () => {
    const slow = dribble(
      port,
      `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`,
      100,
      8000,
    );
    await sleep(300);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    const r = await slow;
    expect(r.cutAfterMs).not.toBeNull();
    // 1 s plus the server's check interval (1 s), with room for a loaded machine.
    expect(r.cutAfterMs!).toBeGreaterThan(900);
    expect(r.cutAfterMs!).toBeLessThan(4500);
    expect(r.answer).not.toMatch(/^HTTP\/1\.1 200/);
  });

  it('a body sent slowly is cut off after the request timeout', async () => {
    const body = JSON.stringify({ accessCode: 'AAAA-BBBB-CCCC-DDDD-EEEE' });
    const head =
      `POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`;
    const r = await dribble(port, body, 150, 8000, head);
    expect(r.cutAfterMs).not.toBeNull();
    expect(r.cutAfterMs!).toBeLessThan(5000);
    expect(r.answer).not.toMatch(/^HTTP\/1\.1 (200|401)/);
  });
});

describe('the connection cap', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    const base = testConfig();
    t = await createTestApp({ config: { server: { ...base.server, maxConnections: 4 } } });
    port = await listen(t);
  });
  afterAll(async () => t?.close());

  it('connections past MAX_CONNECTIONS are dropped; a freed place is taken again', async () => {
    const held: net.Socket[] = [];
    for (let i = 0; i < 4; i++) {
      const s = net.connect(port, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      held.push(s);
    }
    await sleep(100);
    const extra = net.connect(port, '127.0.0.1');
    const dropped = await new Promise<boolean>((resolve) => {
      extra.once('close', () => resolve(true));
      extra.on('error', () => undefined);
      extra.once('connect', () => extra.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'));
      extra.once('data', () => resolve(false));
      setTimeout(() => resolve(false), 3000);
    });
    expect(dropped).toBe(true);
    held.pop()!.destroy();
    await sleep(200);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    for (const s of held) s.destroy();
  });
});
