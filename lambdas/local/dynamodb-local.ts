import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const EMULATOR = join(ROOT, '.dynamodb-local', 'emulator');

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

/** Installs the engine on first use (the postinstall step normally has). */
function ensureInstalled() {
  if (existsSync(join(EMULATOR, 'DynamoDBLocal.jar'))) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'fetch-dynamodb-local.mjs')], { stdio: 'inherit' });
}

/** Waits until the engine answers an HTTP request (any answer will do). */
async function waitUntilUp(endpoint: string, child: ChildProcess, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}`);
    try {
      await fetch(endpoint, { method: 'GET', signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms`);
}

/** Where the DynamoDB Local serving a data directory notes its process id. */
const pidFile = (dataDir: string) => join(dataDir, 'dynamodb-local.pid');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Ends a DynamoDB Local left serving `dataDir` by a server that was killed (SIGKILL ends the
 * server, not its Java child): two on one data directory would share its SQLite files. Only a
 * process whose command line is DynamoDB Local on this very directory is ended (Linux /proc;
 * elsewhere none is).
 */
export async function endOrphanedDynamoDbLocal(dataDir: string): Promise<number | undefined> {
  const pid = Number(existsSync(pidFile(dataDir)) ? readFileSync(pidFile(dataDir), 'utf8') : NaN);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
  if (!args.some((a) => a.endsWith('DynamoDBLocal.jar')) || args[args.indexOf('-dbPath') + 1] !== dataDir)
    return undefined;
  process.kill(pid, 'SIGTERM');
  for (const deadline = Date.now() + 5000; alive(pid) && Date.now() < deadline; )
    await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  return pid;
}

/**
 * Starts DynamoDB Local on a free loopback port, its data under `dataDir` (or in memory),
 * and waits until it answers. `stop()` ends it. One left on the same `dataDir` by a server
 * that was killed is ended first.
 */
export async function startDynamoDbLocal(
  options: { dataDir?: string; port?: number } = {},
): Promise<DynamoDbLocal> {
  ensureInstalled();
  const port = options.port ?? (await freePort());
  const storage = options.dataDir ? ['-dbPath', options.dataDir, '-sharedDb'] : ['-inMemory', '-sharedDb'];
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    const orphan = await endOrphanedDynamoDbLocal(options.dataDir);
    if (orphan)
      process.stderr.write(`ended DynamoDB Local ${orphan}, left on ${options.dataDir} by a killed server\n`);
  }
  const child = spawn(
    'java',
    [
      '-Xmx512m',
      // The serial collector: the least CPU for a small heap, leaving the cores to the server.
      '-XX:+UseSerialGC',
      `-Djava.library.path=${join(EMULATOR, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(EMULATOR, 'DynamoDBLocal.jar'),
      '-port',
      String(port),
      ...storage,
      '-disableTelemetry',
    ],
    // Its working directory gets a metadata file: keep it out of the project.
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: options.dataDir ?? tmpdir() },
  );
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  child.on('error', (e) => {
    stderr += String(e);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const noted = options.dataDir && child.pid ? pidFile(options.dataDir) : undefined;
  if (noted) writeFileSync(noted, String(child.pid));
  child.once('exit', () => {
    try {
      if (noted && readFileSync(noted, 'utf8') === String(child.pid)) rmSync(noted);
    } catch {} // another start has replaced or removed it
  });
  try {
    await waitUntilUp(endpoint, child);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(
      `${(e as Error).message}${stderr ? `\n${stderr}` : ''}. Is Java 17 installed (apt-get install openjdk-17-jre-headless)?`,
    );
  }
  return {
    endpoint,
    port,
    process: child,
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null || child.signalCode !== null) return ok();
        child.once('exit', () => ok());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
