/** Staff accounts and delegates' access codes, managed by the desk. */
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';

export async function registerAccountRoutes(_app: App, _ctx: AppContext): Promise<void> {}
