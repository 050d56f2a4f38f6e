/** Votes, ballots and results (the voting engine). */
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';

export async function registerVoteRoutes(_app: App, _ctx: AppContext): Promise<void> {}
