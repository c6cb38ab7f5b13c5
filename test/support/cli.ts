import { execFile } from 'node:child_process';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `feeproof <args>` (bin/feeproof.ts) as its own process without blocking: the server a
 * test talks to may live in the test's own process. `env` entries set to undefined are removed
 * from the child's environment. A CLI that does not end (one that wrongly starts serving) is
 * stopped after 60 s rather than left running.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const childEnv = { ...process.env, ...env };
  for (const [name, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[name];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'bin/feeproof.ts', ...args],
      { encoding: 'utf8', env: childEnv, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
