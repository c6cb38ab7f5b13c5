import { type CheckpointPolicy, type VerifiedCheckpoint, verifyCheckpoint } from './checkpoint.js';
import { TlogError } from './errors.js';
import { fromBase64, HASH_SIZE, type Hash, toBase64 } from './hash.js';
import { verifyInclusion } from './proof.js';

/** C2SP tlog-proof (`c2sp.org/tlog-proof@v1`): an offline-verifiable inclusion proof. */
const HEADER = 'c2sp.org/tlog-proof@v1';
export const TLOG_PROOF_EXTENSION = '.tlog-proof';

export interface TlogProof {
  extra?: Uint8Array;
  index: number;
  proof: Hash[];
  /** The signed checkpoint note, verbatim. */
  checkpoint: string;
}

export function formatTlogProof(p: TlogProof): string {
  const lines = [HEADER];
  if (p.extra) lines.push(`extra ${toBase64(p.extra)}`);
  lines.push(`index ${p.index}`, ...p.proof.map(toBase64));
  return `${lines.join('\n')}\n\n${p.checkpoint}`;
}

export function parseTlogProof(text: string): TlogProof {
  const bad = (why: string): never => {
    throw new TlogError('malformed_proof', `not a ${HEADER} proof: ${why}`);
  };
  const split = text.indexOf('\n\n');
  if (split < 0) bad('no blank line before the checkpoint');
  const lines = text.slice(0, split).split('\n');
  const checkpoint = text.slice(split + 2);
  if (lines.shift() !== HEADER) bad(`the first line must be ${HEADER}`);
  let extra: Uint8Array | undefined;
  if (lines[0]?.startsWith('extra '))
    extra = fromBase64(lines.shift()!.slice(6)) ?? bad('extra is not base64');
  const index = /^index (0|[1-9]\d*)$/.exec(lines.shift() ?? '')?.[1];
  if (index === undefined || !Number.isSafeInteger(Number(index))) bad('an index line expected');
  const proof = lines.map((l) => {
    const h = fromBase64(l);
    return h && h.length === HASH_SIZE
      ? h
      : bad(`proof line ${JSON.stringify(l.slice(0, 60))} is not a base64 hash`);
  });
  if (!checkpoint) bad('no checkpoint');
  return { ...(extra ? { extra } : {}), index: Number(index), proof, checkpoint };
}

/**
 * Verifies a proof for a leaf hash: the checkpoint's signatures against the policy (log key,
 * witness quorum), then the inclusion of the leaf at the index in the checkpointed tree.
 */
export function verifyTlogProof(
  text: string,
  leaf: Hash,
  policy: CheckpointPolicy,
): VerifiedCheckpoint & { index: number } {
  const p = parseTlogProof(text);
  const verified = verifyCheckpoint(p.checkpoint, policy);
  verifyInclusion(p.index, verified.checkpoint.size, leaf, p.proof, verified.checkpoint.rootHash);
  return { ...verified, index: p.index };
}
