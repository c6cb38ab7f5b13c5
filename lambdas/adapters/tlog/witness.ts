import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Cosigner, cosigner } from '../../core/tlog/cosignature.js';
import { fromBase64, toBase64 } from '../../core/tlog/hash.js';
import { parseVkey } from '../../core/tlog/note.js';
import { addCheckpoint, type WitnessAnswer, type WitnessedLog } from '../../core/tlog/witness.js';
import { replaceFile } from './files.js';
import { ed25519KeyFile } from './key-file.js';

/**
 * `feeproof witness serve`: a C2SP tlog-witness. Its Ed25519 key is a key file in its
 * directory; its record of each log (the latest checkpoint it cosigned) is one JSON file,
 * replaced atomically (temp + fsync + rename) before it answers. Requests are handled one at a
 * time, so checking the old size and recording the new checkpoint are one atomic step.
 */
export interface WitnessOptions {
  /** The witness's name (its key name), e.g. `witness.audit.example/w1`. */
  name: string;
  /** The directory holding witness-key.pem and witness-state.json. */
  dir: string;
  /** The logs it witnesses: their vkeys (the key name is the log's origin). */
  logKeys: readonly string[];
  /** POSIX seconds (injected in tests). */
  now?: () => number;
}

/** Request bodies above this are refused (a checkpoint with 63 proof lines and 16 signatures is ~5 KB). */
const MAX_BODY = 64 * 1024;

interface StateFile {
  logs: Record<string, { size: number; rootHash: string; note: string }>;
}

export class Witness {
  private queue: Promise<unknown> = Promise.resolve();
  private constructor(
    readonly cosigner: Cosigner,
    private readonly statePath: string,
    private state: StateFile,
    private readonly logs: ReadonlyMap<string, readonly string[]>,
  ) {}

  static async open(o: WitnessOptions): Promise<Witness> {
    const seed = await ed25519KeyFile(join(o.dir, 'witness-key.pem'));
    const logs = new Map<string, string[]>();
    for (const vkey of o.logKeys) {
      const { name } = parseVkey(vkey);
      logs.set(name, [...(logs.get(name) ?? []), vkey]);
    }
    const statePath = join(o.dir, 'witness-state.json');
    let state: StateFile = { logs: {} };
    try {
      state = JSON.parse(await readFile(statePath, 'utf8')) as StateFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new Witness(cosigner(o.name, seed, o.now), statePath, state, logs);
  }

  /** The witness's vkey (cosignature type 0x04) for the log's configuration. */
  get vkey(): string {
    return this.cosigner.vkey;
  }

  record(origin: string): WitnessedLog | null {
    const r = this.state.logs[origin];
    return r ? { size: r.size, rootHash: fromBase64(r.rootHash)!, note: r.note } : null;
  }

  /** One add-checkpoint request, serialized with every other. */
  addCheckpoint(body: string): Promise<WitnessAnswer> {
    const run = this.queue.then(async () => {
      const answer = await addCheckpoint(body, this.logs, (o) => this.record(o), this.cosigner);
      if (answer.status === 200 && answer.record && answer.origin) {
        const next: StateFile = {
          logs: {
            ...this.state.logs,
            [answer.origin]: {
              size: answer.record.size,
              rootHash: toBase64(answer.record.rootHash),
              note: answer.record.note,
            },
          },
        };
        await replaceFile(this.statePath, Buffer.from(JSON.stringify(next, null, 1)));
        this.state = next;
      }
      return answer;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Serves POST /add-checkpoint and GET /<hex SHA-256 of origin>/checkpoint on a port (0: any free one). */
  async listen(port: number, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
    const server = createServer((req, res) => {
      const reply = (status: number, body: string, contentType = 'text/plain; charset=utf-8') => {
        res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
        res.end(body);
      };
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/add-checkpoint') {
        if (req.method !== 'POST') return reply(405, 'POST only\n');
        readBody(req)
          .then(async (body) => {
            if (body === null) return reply(413, `the body is over ${MAX_BODY} bytes\n`);
            if (body === undefined) return reply(400, 'the body is not UTF-8\n');
            const a = await this.addCheckpoint(body);
            reply(a.status, a.body, a.contentType);
          })
          .catch(() => reply(503, 'the witness could not record the checkpoint; try again\n'));
        return;
      }
      const m = /^\/([0-9a-f]{64})\/checkpoint$/.exec(path);
      if (m && req.method === 'GET') {
        const origin = [...this.logs.keys()].find(
          (o) => createHash('sha256').update(o).digest('hex') === m[1],
        );
        const r = origin ? this.record(origin) : null;
        return r ? reply(200, r.note) : reply(404, 'no checkpoint cosigned for that log\n');
      }
      reply(404, 'not found\n');
    });
    await new Promise<void>((resolve) => server.listen(port, host, resolve));
    const { port: bound } = server.address() as AddressInfo;
    return { server, url: `http://${host}:${bound}` };
  }
}

/** The body as UTF-8 text; null when over MAX_BODY, undefined when not UTF-8. */
async function readBody(req: IncomingMessage): Promise<string | null | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk as Buffer);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    return undefined;
  }
}
