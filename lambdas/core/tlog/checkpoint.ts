import { cosignatureVerifier, timestampOf } from './cosignature.js';
import { TlogError } from './errors.js';
import { fromBase64, HASH_SIZE, type Hash, toBase64 } from './hash.js';
import { ed25519Verifier, type NoteVerifier, type OpenedNote, openNote } from './note.js';

/** C2SP tlog-checkpoint: origin, tree size, base64 root hash, optional extension lines. */
export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Hash;
  extensions?: string[];
}

export function formatCheckpoint(c: Checkpoint): string {
  if (!c.origin || c.origin.includes('\n'))
    throw new TlogError('malformed_checkpoint', 'the origin must be one non-empty line');
  if (!Number.isSafeInteger(c.size) || c.size < 0)
    throw new TlogError('malformed_checkpoint', `bad tree size ${c.size}`);
  if (c.rootHash.length !== HASH_SIZE)
    throw new TlogError('malformed_checkpoint', 'the root hash is 32 bytes');
  const ext = c.extensions ?? [];
  if (ext.some((l) => l === '' || l.includes('\n')))
    throw new TlogError('malformed_checkpoint', 'extension lines must be non-empty single lines');
  return [c.origin, String(c.size), toBase64(c.rootHash), ...ext].map((l) => `${l}\n`).join('');
}

export function parseCheckpoint(text: string): Checkpoint {
  const bad = (why: string): never => {
    throw new TlogError('malformed_checkpoint', `not a checkpoint: ${why}`);
  };
  if (!text.endsWith('\n')) bad('the text must end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) bad('origin, size and root hash lines expected');
  const [origin, size, root, ...extensions] = lines as [string, string, string, ...string[]];
  if (!origin) bad('empty origin');
  if (!/^(0|[1-9]\d*)$/.test(size) || !Number.isSafeInteger(Number(size)))
    bad(`bad tree size ${JSON.stringify(size)}`);
  const rootHash = fromBase64(root);
  if (!rootHash || rootHash.length !== HASH_SIZE) bad('the root hash is not base64 of 32 bytes');
  if (extensions.some((l) => l === '')) bad('an empty extension line');
  return { origin, size: Number(size), rootHash: rootHash!, ...(extensions.length ? { extensions } : {}) };
}

export interface CheckpointPolicy {
  /** The origin expected (also the log key's name). */
  origin: string;
  /** The log's vkeys (Ed25519, type 0x01); a signature by one of them is required. */
  logKeys: readonly string[];
  /** Witness vkeys (cosignature type 0x04), and how many of them must have cosigned. */
  witnessKeys?: readonly string[];
  quorum?: number;
}

export interface VerifiedCheckpoint {
  checkpoint: Checkpoint;
  note: OpenedNote;
  /** The witnesses whose cosignature verified, with their timestamps. */
  cosignatures: { name: string; timestamp: number }[];
}

/**
 * Opens a signed checkpoint: the log's signature is required, witnesses' cosignatures are
 * counted against the quorum, any signature by a known key that fails rejects the note.
 */
export function verifyCheckpoint(message: string, policy: CheckpointPolicy): VerifiedCheckpoint {
  const logVerifiers = policy.logKeys.map((k) => ed25519Verifier(k));
  const witnessVerifiers: NoteVerifier[] = (policy.witnessKeys ?? []).map((k) => cosignatureVerifier(k));
  const note = openNote(message, [...logVerifiers, ...witnessVerifiers]);
  const checkpoint = parseCheckpoint(note.text);
  if (checkpoint.origin !== policy.origin)
    throw new TlogError(
      'unknown_origin',
      `the checkpoint's origin is ${checkpoint.origin}, not ${policy.origin}`,
    );
  const by = (vs: NoteVerifier[]) =>
    note.verified.filter((s) => vs.some((v) => v.name === s.name && v.keyId === s.keyId));
  if (by(logVerifiers).length === 0)
    throw new TlogError(
      'no_verified_signature',
      `the checkpoint is not signed by the log key of ${policy.origin}`,
    );
  const cosignatures = by(witnessVerifiers).map((s) => ({ name: s.name, timestamp: timestampOf(s)! }));
  const quorum = policy.quorum ?? 0;
  if (cosignatures.length < quorum)
    throw new TlogError(
      'too_few_cosignatures',
      `the checkpoint has ${cosignatures.length} witness cosignature(s), ${quorum} required`,
    );
  return { checkpoint, note, cosignatures };
}
