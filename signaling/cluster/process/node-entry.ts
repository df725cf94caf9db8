/**
 * Entry point of a cluster node started by another process (start-cluster,
 * tests, benchmarks): runs signaling/main.ts, and exits when the parent goes
 * away (its stdin pipe closes) or after an optional lifetime bound, so a
 * crashed parent never leaves nodes running.
 *   node --import tsx signaling/cluster/process/node-entry.ts [maxLifetimeSeconds]
 */
const maxLifetime = Number(process.argv[2] ?? 'NaN');
if (Number.isFinite(maxLifetime) && maxLifetime > 0) {
  setTimeout(() => {
    process.stderr.write(`node-entry: lifetime bound of ${maxLifetime} s reached, exiting\n`);
    process.exit(2);
  }, maxLifetime * 1000).unref();
}
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
await import('../../main.ts');
