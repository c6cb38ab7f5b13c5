import { type Checkpoint, parseCheckpoint } from './checkpoint.js';
import { TlogError } from './errors.js';
import { EMPTY_ROOT, fromBase64, HASH_SIZE, type Hash, hashesEqual, toBase64 } from './hash.js';
import { ed25519Verifier, type NoteSigner, type OpenedNote, openNote, parseNote, signNote } from './note.js';
import { verifyConsistency } from './proof.js';

/**
 * C2SP tlog-witness add-checkpoint, as a pure decision: the request body, the witness's
 * trusted log keys and its record of the log give the answer (status, body) and the new record.
 */
export const MAX_PROOF_LINES = 63;

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Hash[];
  /** The signed checkpoint note. */
  checkpoint: string;
}

export function formatAddCheckpoint(r: AddCheckpointRequest): string {
  return `old ${r.oldSize}\n${r.proof.map((h) => `${toBase64(h)}\n`).join('')}\n${r.checkpoint}`;
}

export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const bad = (why: string): never => {
    throw new TlogError('malformed_proof', `not an add-checkpoint request: ${why}`);
  };
  const split = body.indexOf('\n\n');
  if (split < 0) bad('no blank line before the checkpoint');
  const [first, ...lines] = body.slice(0, split).split('\n');
  const old = /^old (0|[1-9]\d*)$/.exec(first ?? '')?.[1];
  if (old === undefined || !Number.isSafeInteger(Number(old))) bad('the first line must be "old <size>"');
  if (lines.length > MAX_PROOF_LINES) bad(`more than ${MAX_PROOF_LINES} proof lines`);
  const proof = lines.map((l) => {
    const h = fromBase64(l);
    return h && h.length === HASH_SIZE ? h : bad('a proof line is not a base64 hash');
  });
  return { oldSize: Number(old), proof, checkpoint: body.slice(split + 2) };
}

/** What the witness remembers of a log: the latest checkpoint it cosigned. */
export interface WitnessedLog {
  size: number;
  rootHash: Hash;
  /** The checkpoint with the log's signature and this witness's cosignature (for monitors). */
  note: string;
}

export interface WitnessAnswer {
  status: 200 | 400 | 403 | 404 | 409 | 422;
  contentType: string;
  body: string;
  /** The record to persist (only on 200). */
  record?: WitnessedLog;
  origin?: string;
}

const text = (status: WitnessAnswer['status'], body: string): WitnessAnswer => ({
  status,
  contentType: 'text/plain; charset=utf-8',
  body: `${body}\n`,
});

/**
 * Decides an add-checkpoint request. `logs` maps each trusted origin to its vkeys; `record`
 * reads the witness's record for an origin. The answer codes are the spec's: 400 malformed or
 * old size above the checkpoint's, 403 not signed by a trusted key (or a bad signature), 404
 * unknown origin, 409 old size is not the recorded size (body: the recorded size, as
 * text/x.tlog.size), 422 proof or roots do not check; 200 with the cosignature lines.
 */
export async function addCheckpoint(
  body: string,
  logs: ReadonlyMap<string, readonly string[]>,
  record: (origin: string) => WitnessedLog | null,
  cosigner: NoteSigner,
): Promise<WitnessAnswer> {
  let request: AddCheckpointRequest;
  let checkpoint: Checkpoint;
  try {
    request = parseAddCheckpoint(body);
    checkpoint = parseCheckpoint(parseNote(request.checkpoint).text);
  } catch (e) {
    if (e instanceof TlogError) return text(400, e.message);
    throw e;
  }
  const keys = logs.get(checkpoint.origin);
  if (!keys) return text(404, `unknown log origin ${checkpoint.origin}`);
  let opened: OpenedNote;
  try {
    opened = openNote(
      request.checkpoint,
      keys.map((k) => ed25519Verifier(k)),
    );
  } catch (e) {
    if (e instanceof TlogError) return text(403, e.message);
    throw e;
  }
  const origin = checkpoint.origin;
  if (request.oldSize > checkpoint.size)
    return {
      ...text(400, `old size ${request.oldSize} is above the checkpoint size ${checkpoint.size}`),
      origin,
    };
  const known = record(origin);
  const knownSize = known?.size ?? 0;
  if (request.oldSize !== knownSize)
    return { status: 409, contentType: 'text/x.tlog.size', body: `${knownSize}\n`, origin };
  if (checkpoint.size === 0 && !hashesEqual(checkpoint.rootHash, EMPTY_ROOT))
    return { ...text(422, 'a checkpoint of size 0 must have the empty tree root'), origin };
  if (request.oldSize === 0) {
    if (request.proof.length > 0) return { ...text(422, 'the proof must be empty from size 0'), origin };
  } else if (request.oldSize === checkpoint.size) {
    if (!hashesEqual(known!.rootHash, checkpoint.rootHash))
      return { ...text(422, `same size ${checkpoint.size}, different root hash: the log forked`), origin };
  } else {
    try {
      verifyConsistency(
        request.oldSize,
        checkpoint.size,
        known!.rootHash,
        checkpoint.rootHash,
        request.proof,
      );
    } catch (e) {
      if (e instanceof TlogError) return { ...text(422, e.message), origin };
      throw e;
    }
  }
  // Kept for monitors: the log signatures this witness verified, and its own cosignature.
  const signed = await signNote(opened.text, [cosigner], opened.verified);
  const lines = signed.slice(signed.lastIndexOf('\n\u2014 ') + 1);
  return {
    status: 200,
    contentType: 'text/plain; charset=utf-8',
    body: lines,
    origin,
    record: { size: checkpoint.size, rootHash: checkpoint.rootHash, note: signed },
  };
}
