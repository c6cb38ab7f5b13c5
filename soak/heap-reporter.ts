/**
 * Preloaded into the server under soak (`node --import tsx --import ./soak/heap-reporter.ts`):
 * sends the process's memory figures to the soak script over the IPC channel once a second.
 * It adds nothing else to the server and stops with it.
 */
if (process.send) {
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    process.send?.({
      soakMemory: {
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        at: Date.now(),
      },
    });
  }, 1000);
  timer.unref();
  process.channel?.unref();
}
