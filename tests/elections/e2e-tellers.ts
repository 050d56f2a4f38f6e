/**
 * Tellers on their own devices, for the encrypted-election tests: each teller holds its
 * secrets here (as its key file would) and reaches the service only through the tellers'
 * routes (docs/e2e-ballots.md section 10), signed in as its own account. The steps are
 * src/domain/e2e/tellers.ts's, as the /trustee page and the CLI run them.
 */
import { expect } from 'vitest';
import type { TestApp } from '../support/test-app.js';
import { bearer } from '../support/auth.js';
import { ciphertextFromHex, type CiphertextHex } from '../../src/domain/e2e/elgamal.js';
import {
  createIdentity,
  deal,
  openShare,
  partialDecrypt,
  polynomial,
  secretShare,
  type Complaint,
  type Dealing,
  type TellerIdentity,
  type TellerSecret,
} from '../../src/domain/e2e/tellers.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface TellerDevice {
  index: number;
  token: string;
  secret?: TellerSecret;
  identity?: TellerIdentity;
  received: Map<number, bigint>;
  share?: bigint;
}

export function tellersClient(t: TestApp, electionId: string) {
  const base = `/api/v1/elections/${electionId}/tellers`;
  const state = async () => {
    const res = await t.app.inject({ url: base });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Json>();
  };
  const post = async (d: TellerDevice, step: string, body: unknown) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `${base}/${d.index}/${step}`,
      headers: bearer(d.token),
      payload: body as Json,
    });
    expect(res.statusCode, `teller ${d.index} ${step}: ${res.body}`).toBe(200);
    return res.json<Json>();
  };
  return {
    state,
    post,
    /** The whole key ceremony, every teller taking part; answers the state once the key is ready. */
    async ceremony(devices: TellerDevice[]): Promise<Json> {
      const { context } = await state();
      for (const d of devices) {
        const made = createIdentity(context, d.index);
        d.secret = made.secret;
        d.identity = made.identity;
        await post(d, 'identity', made.identity);
      }
      const identities = (await state()).identities as TellerIdentity[];
      const threshold = (await state()).threshold as number;
      for (const d of devices)
        await post(d, 'dealing', await deal(context, d.secret!, polynomial(threshold), identities));
      const dealings = (await state()).dealings as Dealing[];
      for (const d of devices) {
        const complaints: Complaint[] = [];
        for (const dealing of dealings) {
          const opened = await openShare(context, d.secret!, d.identity!, dealing);
          if (opened.ok) d.received.set(dealing.index, opened.share);
          else complaints.push(opened.complaint);
        }
        await post(d, 'checks', { index: d.index, complaints });
      }
      const ready = await state();
      expect(ready.phase).toBe('ready');
      for (const d of devices) d.share = secretShare((ready.qualified as number[]).map((i) => d.received.get(i)!));
      return ready;
    },
    /** One teller's partial decryption of the aggregate published at close. */
    async decrypt(d: TellerDevice): Promise<Json> {
      const s = await state();
      expect(s.phase).toBe('decrypting');
      const aggregate = (s.aggregate as CiphertextHex[]).map(ciphertextFromHex);
      return post(d, 'partial', partialDecrypt(s.context, d.index, d.share!, aggregate));
    },
  };
}
