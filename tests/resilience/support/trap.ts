/**
 * Preloaded into every service process the resilience suite spawns (node --import): an
 * unhandled rejection or uncaught exception is written to stderr with a marker that the
 * tests count. It does not change src/: the service itself installs no such listener, and
 * without this one Node would crash the process on the first unhandled rejection (which
 * the tests would see as a dead process instead of a count).
 */
process.on('unhandledRejection', (reason: unknown) => {
  const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
  process.stderr.write(`\nRESILIENCE_UNHANDLED_REJECTION ${text.replace(/\n/g, ' | ')}\n`);
});
process.on('uncaughtExceptionMonitor', (err: Error) => {
  process.stderr.write(`\nRESILIENCE_UNCAUGHT_EXCEPTION ${(err.stack ?? err.message).replace(/\n/g, ' | ')}\n`);
});
export {};
