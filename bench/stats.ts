import { readdirSync, readFileSync } from 'node:fs';

/** Latency percentiles and throughput of a timed run. */
export interface RunStats {
  count: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Every request's latency, sorted (for combine). */
  latencies: number[];
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Runs `task` `total` times with `concurrency` workers; each call returns true on success and
 * gets the request's index and its worker's (a client of its own, e.g. its own address).
 */
export async function measure(
  total: number,
  concurrency: number,
  task: (i: number, worker: number) => Promise<boolean>,
): Promise<RunStats> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        const ok = await task(i, worker).catch(() => false);
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    }),
  );
  return statsOf(total, errors, (performance.now() - started) / 1000, latencies);
}

function statsOf(count: number, errors: number, seconds: number, latencies: number[]): RunStats {
  latencies.sort((a, b) => a - b);
  return {
    count,
    errors,
    seconds,
    perSecond: count / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    latencies,
  };
}

/** Runs measured apart as one: their requests, time and latencies together. */
export function combine(runs: RunStats[]): RunStats {
  const sum = (f: (r: RunStats) => number) => runs.reduce((total, r) => total + f(r), 0);
  return statsOf(
    sum((r) => r.count),
    sum((r) => r.errors),
    sum((r) => r.seconds),
    runs.flatMap((r) => r.latencies),
  );
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
    return statCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return Number.NaN;
  }
}
const CLOCK_TICKS = 100; // USER_HZ, 100 on Linux

/** The CPU time (user + system, ms) of a /proc `stat` line, of a process or of a thread. */
function statCpuMs(stat: string): number {
  // The name in parentheses may hold spaces and parentheses: the fields start after the last.
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/**
 * CPU time (ms) a JVM's JIT compiler threads have used so far (/proc's per-thread stats;
 * HotSpot names them "C1 CompilerThread0", "C2 CompilerThread1", ...): how far DynamoDB
 * Local still is from running compiled code.
 */
function jitCompilerMs(pid: number): number {
  let ms = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      if (/^C\d CompilerThre/.test(stat.slice(stat.indexOf('(') + 1))) ms += statCpuMs(stat);
    } catch {
      // ended meanwhile
    }
  }
  return ms;
}

/** From now on, a JVM's JIT compiler CPU per request: call the answer with the requests made since. */
export function jitCompilerShare(pid: number): (count: number) => number {
  const start = jitCompilerMs(pid);
  return (count) => (jitCompilerMs(pid) - start) / count;
}

/** A process and all its descendants (from /proc's parent ids): a server's workers, a launcher's java. */
export function pidTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parent = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // ended meanwhile
    }
  }
  const all = [root];
  for (let i = 0; i < all.length; i++) all.push(...(children.get(all[i]!) ?? []));
  return all;
}

/** CPU milliseconds per request of each named group of processes, and of those groups together. */
export interface CpuShare {
  perRequest: Record<string, number>;
  /** Every group but the load generator: what serving the requests cost. */
  serving: number;
  text: string;
}

/**
 * Where the CPU of a run goes: call before, then call the result after `count` requests; it
 * gives the milliseconds of CPU per request of each named group of processes (the trees under
 * the given pids, from /proc: a server's workers, DynamoDB Local's java; a process started
 * meanwhile counts from zero) and of this process (the load generator), which share the cores.
 */
export function cpuShare(processes: Record<string, () => number[]>) {
  const trees = () =>
    Object.entries(processes).map(([name, roots]) => [name, roots().flatMap(pidTree)] as const);
  const own = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  // Per process, so that a process started meanwhile counts from zero.
  const start = new Map(trees().flatMap(([, pids]) => pids.map((p) => [p, cpuMs(p)] as const)));
  const ownStart = own();
  return (count: number): CpuShare => {
    const perRequest: Record<string, number> = {};
    for (const [name, pids] of trees())
      perRequest[name] = pids.reduce((sum, p) => sum + ((cpuMs(p) || 0) - (start.get(p) || 0)), 0) / count;
    perRequest['load generator'] = (own() - ownStart) / count;
    return shareOf(perRequest);
  };
}

/** Every group's CPU per request but the load generator's is what serving cost. */
function shareOf(perRequest: Record<string, number>): CpuShare {
  const serving = Object.entries(perRequest)
    .filter(([name]) => name !== 'load generator')
    .reduce((sum, [, ms]) => sum + ms, 0);
  return {
    perRequest,
    serving,
    text: `  CPU per request: ${Object.entries(perRequest)
      .map(([name, ms]) => `${name} ${ms.toFixed(2)} ms`)
      .join(', ')}; serving in all ${serving.toFixed(2)} ms`,
  };
}

/** The CPU per request of runs measured apart, as one: each run weighted by its requests. */
export function combineCpu(runs: { cpu: CpuShare; count: number }[]): CpuShare {
  const total = runs.reduce((sum, r) => sum + r.count, 0);
  const perRequest: Record<string, number> = {};
  for (const { cpu, count } of runs)
    for (const [name, ms] of Object.entries(cpu.perRequest))
      perRequest[name] = (perRequest[name] ?? 0) + (ms * count) / total;
  return shareOf(perRequest);
}
