import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './dynamodb-local.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ChildServer {
  url: string;
  port: number;
  child: ChildProcess;
  /** Resident memory of the server's processes in MiB (from ps). */
  rssMiB(): number;
  /** The server's worker processes. */
  workerPids(): number[];
}

/**
 * `feeproof serve` in a process of its own, for what must measure it from outside or kill
 * it outright (benchmarks, soak, crash tests). Resolves once it says it is serving.
 */
export async function startChildServer(options: {
  env: Record<string, string>;
  port?: number;
  /** Extra modules to preload (`--import`), e.g. a memory reporter. */
  preload?: string[];
  ipc?: boolean;
}): Promise<ChildServer> {
  const port = options.port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      ...(options.preload ?? []).flatMap((m) => ['--import', m]),
      'bin/feeproof.ts',
      'serve',
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        FEEPROOF_LOG_LEVEL: 'silent',
        FEEPROOF_RATE_LIMIT_PER_MINUTE: '0',
        ...options.env,
        PORT: String(port),
      },
      stdio: ['ignore', 'ignore', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
    },
  );
  await new Promise<void>((ok, fail) => {
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
      if (err.includes('is serving on')) ok();
    });
    child.once('exit', (code) => fail(new Error(`server exited (${code}): ${err}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    // The server and its worker processes.
    rssMiB: () =>
      execFileSync('ps', ['-o', 'rss=', '-p', String(child.pid), '--ppid', String(child.pid)])
        .toString()
        .trim()
        .split(/\s+/)
        .reduce((sum, kib) => sum + Number(kib) / 1024, 0),
    workerPids: () => {
      try {
        // Its forks run bin/feeproof.ts; tsx's esbuild service is a child too, and no worker.
        return execFileSync('pgrep', ['-P', String(child.pid), '-f', 'bin/feeproof.ts'])
          .toString()
          .trim()
          .split('\n')
          .map(Number);
      } catch {
        return []; // pgrep exits 1 when there are none
      }
    },
  };
}
