import { cosignatureVerifier } from '../../core/tlog/cosignature.js';
import { TlogError } from '../../core/tlog/errors.js';
import {
  formatNote,
  type NoteSignature,
  openNote,
  parseNote,
  parseSignatureLine,
} from '../../core/tlog/note.js';
import type { TileStore, TreeHead } from '../../core/tlog/ports.js';
import { consistencyProof } from '../../core/tlog/proof.js';
import { withTiles } from '../../core/tlog/tiles.js';
import { formatAddCheckpoint } from '../../core/tlog/witness.js';

export interface WitnessConfig {
  /** The witness's submission prefix, e.g. https://witness.example/ (add-checkpoint is under it). */
  url: string;
  /** Its cosignature vkey (type 0x04). */
  vkey: string;
}

/**
 * The integrator's witness step: submits the signed checkpoint to each witness with a
 * consistency proof from the size that witness last cosigned (learnt from a 409 answer when
 * not known), and adds every cosignature that verifies. A witness that refuses or cannot be
 * reached costs its cosignature only; `onError` hears why.
 */
export function witnessHook(
  witnesses: readonly WitnessConfig[],
  store: TileStore,
  onError: (witness: WitnessConfig, error: Error) => void = () => undefined,
): (signed: string, previous: TreeHead | null) => Promise<string> {
  const known = new Map<string, number>();
  return async (signed) => {
    const note = parseNote(signed);
    const size = Number(note.text.split('\n')[1]);
    const results = await Promise.all(
      witnesses.map(async (w) => {
        try {
          return await submit(w, signed, size, known, store);
        } catch (e) {
          onError(w, e as Error);
          return null;
        }
      }),
    );
    const added = results.filter((s): s is NoteSignature => s !== null);
    return formatNote({ text: note.text, signatures: [...note.signatures, ...added] });
  };
}

async function submit(
  w: WitnessConfig,
  signed: string,
  size: number,
  known: Map<string, number>,
  store: TileStore,
): Promise<NoteSignature> {
  let oldSize = known.get(w.url) ?? 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (oldSize > size) throw new Error(`the witness has size ${oldSize}, above this checkpoint's ${size}`);
    const proof =
      oldSize === 0 || oldSize === size
        ? []
        : await withTiles(
            size,
            (t) => store.readTile(t),
            (r) => consistencyProof(r, oldSize, size),
          );
    const res = await fetch(new URL('add-checkpoint', w.url.endsWith('/') ? w.url : `${w.url}/`), {
      method: 'POST',
      body: formatAddCheckpoint({ oldSize, proof, checkpoint: signed }),
    });
    const body = await res.text();
    if (res.status === 409 && res.headers.get('content-type')?.startsWith('text/x.tlog.size')) {
      oldSize = Number(body.trim());
      if (!Number.isSafeInteger(oldSize))
        throw new Error(`the witness answered 409 with ${body.slice(0, 40)}`);
      continue;
    }
    if (res.status !== 200)
      throw new Error(`the witness answered ${res.status}: ${body.trim().slice(0, 200)}`);
    known.set(w.url, size);
    const verifier = cosignatureVerifier(w.vkey);
    const lines = body.split('\n').filter(Boolean).map(parseSignatureLine);
    const mine = lines.filter((s) => s.name === verifier.name && s.keyId === verifier.keyId);
    const text = parseNote(signed).text;
    // Checked here so that a wrong cosignature never reaches the published checkpoint.
    for (const s of mine) openNote(formatNote({ text, signatures: [s] }), [verifier]);
    if (mine.length === 0)
      throw new TlogError('no_verified_signature', 'the witness sent no cosignature by its key');
    return mine[0]!;
  }
  throw new Error('the witness kept answering 409');
}
