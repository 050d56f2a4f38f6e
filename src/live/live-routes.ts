/** The live channel: WebSocket /live and its tickets. */
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';

export async function registerLiveRoutes(_app: App, _ctx: AppContext): Promise<void> {}
