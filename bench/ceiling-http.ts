/**
 * The framework ceiling: a minimal Fastify server (not the service) with one route that
 * only verifies the access token with the service's own verifyAccessToken (jose, HS256)
 * and answers 201. The load generator sends it the same request as a ballot (same
 * headers, same JSON body), so the difference to the burst is everything the service
 * does beyond HTTP + token check: the session lookup, validation, the transaction.
 *
 * Prints one line {"port":..., "token":"..."} when listening; stops on SIGTERM.
 */
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { exportJWK, generateKeyPair } from 'jose';
import type { KeyRing } from '../src/auth/keys.js';
import { issueAccessToken, verifyAccessToken } from '../src/auth/tokens.js';

async function main(): Promise<void> {
  const secret = createSecretKey(randomBytes(32));
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'bench-ed', alg: 'EdDSA', use: 'sig' };
  const keys: KeyRing = {
    tokenKey: { kid: 'bench-hmac', key: secret },
    tokenKeys: new Map([['bench-hmac', secret]]),
    signingKey: { kid: 'bench-ed', alg: 'EdDSA', privateKey, publicJwk },
    publicJwks: [publicJwk],
  };
  const settings = { issuer: 'plenary', audience: 'plenary-api', ttlSeconds: 4 * 3600 };
  const { token } = await issueAccessToken(
    keys,
    settings,
    { accountId: randomUUID(), role: 'delegate', conferenceId: randomUUID(), delegateId: randomUUID() },
    new Date(),
  );

  const app = Fastify({ logger: false });
  app.post('/api/v1/votes/:voteId/ballots', async (req, reply) => {
    const header = req.headers.authorization ?? '';
    const verified = await verifyAccessToken(keys, settings, header.slice('Bearer '.length), new Date());
    return reply.code(201).send({ accountId: verified.accountId });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port, token })}\n`);
  const stop = () => void app.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Never outlive the bench by much, whatever happens to the parent.
  setTimeout(() => process.exit(0), 10 * 60_000).unref();
  process.on('disconnect', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`ceiling server failed: ${String(err)}\n`);
  process.exit(1);
});
