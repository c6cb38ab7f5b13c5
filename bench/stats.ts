import { readFileSync } from 'node:fs';

/** Latency percentiles and throughput of a timed run. */
export interface RunStats {
  count: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Runs `task` `total` times with `concurrency` workers; each call returns true on success. */
export async function measure(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<boolean>,
): Promise<RunStats> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        const ok = await task(i).catch(() => false);
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    count: total,
    errors,
    seconds,
    perSecond: total / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

export function row(label: string, s: RunStats): string {
  return `${label.padEnd(44)} ${s.perSecond.toFixed(1).padStart(8)}/s  p50 ${s.p50.toFixed(1).padStart(7)} ms  p99 ${s.p99.toFixed(1).padStart(7)} ms  errors ${s.errors}/${s.count}`;
}

/** Samples resident memory every 100 ms; returns the peak in MiB when stopped. */
export function memorySampler() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  return () => {
    clearInterval(timer);
    return Math.max(peak, process.memoryUsage().rss) / 1024 / 1024;
  };
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
const CLOCK_TICKS = 100; // USER_HZ, 100 on Linux

/**
 * Where the CPU of a run goes: call before, then call the result after `count` requests; it
 * prints the milliseconds of CPU per request of each named group of processes and of this
 * process (the load generator), which share the machine's cores.
 */
export function cpuShare(processes: Record<string, () => number[]>) {
  const read = (): Record<string, number> => {
    const own = process.cpuUsage();
    return {
      ...Object.fromEntries(
        Object.entries(processes).map(([name, pids]) => [name, pids().reduce((sum, p) => sum + cpuMs(p), 0)]),
      ),
      'load generator': (own.user + own.system) / 1000,
    };
  };
  const before = read();
  return (count: number) => {
    const after = read();
    return `  CPU per request: ${Object.keys(after)
      .map((name) => `${name} ${((after[name]! - before[name]!) / count).toFixed(2)} ms`)
      .join(', ')}`;
  };
}
