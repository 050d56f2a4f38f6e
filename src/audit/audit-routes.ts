/** Records, receipts, the event log and exports for auditors. */
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';

export async function registerAuditRoutes(_app: App, _ctx: AppContext): Promise<void> {}
