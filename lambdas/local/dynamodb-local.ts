import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
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

/**
 * Starts DynamoDB Local on a free loopback port, its data under `dataDir` (or in memory),
 * and waits until it answers. `stop()` ends it.
 */
export async function startDynamoDbLocal(
  options: { dataDir?: string; port?: number } = {},
): Promise<DynamoDbLocal> {
  ensureInstalled();
  const port = options.port ?? (await freePort());
  const storage = options.dataDir ? ['-dbPath', options.dataDir, '-sharedDb'] : ['-inMemory', '-sharedDb'];
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
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
