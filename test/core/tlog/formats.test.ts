import { describe, expect, it } from 'vitest';
import {
  formatCheckpoint,
  parseCheckpoint,
  verifyCheckpoint,
} from '../../../lambdas/core/tlog/checkpoint.js';
import {
  cosignatureTimestamp,
  cosignatureVerifier,
  cosignedMessage,
  cosigner,
} from '../../../lambdas/core/tlog/cosignature.js';
import { TlogError } from '../../../lambdas/core/tlog/errors.js';
import { leafHash, rootFromLeafHashes } from '../../../lambdas/core/tlog/hash.js';
import {
  computeKeyId,
  ed25519Signer,
  ed25519Verifier,
  formatVkey,
  openNote,
  parseNote,
  parseVkey,
  SIG_COSIGNATURE_ED25519,
  signNote,
} from '../../../lambdas/core/tlog/note.js';
import { inclusionProof, nodeReaderFromLeaves } from '../../../lambdas/core/tlog/proof.js';
import { formatTlogProof, parseTlogProof, verifyTlogProof } from '../../../lambdas/core/tlog/proof-bundle.js';
import { b64, vectors } from './support.js';

const go = vectors.goNote;
/** Go's private key format: PRIVATE+KEY+<name>+<id>+base64(0x01 || seed). */
const peterSeed = b64(go.peterSkey.split('+').slice(4).join('+')).subarray(1);
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof TlogError) return e.code;
    throw e;
  }
  return 'ok';
};

describe('signed-note (golang.org/x/mod sumdb/note vectors, C2SP signed-note example)', () => {
  it('parses the Go and C2SP vkeys and recomputes their key IDs', () => {
    const peter = parseVkey(go.peterVkey);
    expect(peter.name).toBe('PeterNeumann');
    expect(peter.keyId).toBe(0xc74f20a3);
    expect(computeKeyId(peter.name, 1, peter.publicKey)).toBe(0xc74f20a3);
    expect(formatVkey(peter.name, 1, peter.publicKey)).toBe(go.peterVkey);
    expect(parseVkey(vectors.c2sp.signedNote.vkey).keyId).toBe(0x530d903a);
  });

  it('round-trips vkeys whose base64 holds pluses (split at the first two only)', () => {
    for (let i = 0; i < 64; i++) {
      const { vkey } = ed25519Signer('log.example/k', new Uint8Array(32).fill(i));
      expect(formatVkey('log.example/k', 1, parseVkey(vkey).publicKey)).toBe(vkey);
    }
  });

  it('refuses every mangling of a vkey (every substring, every byte changed), as Go does', () => {
    for (const bad of go.badVkeys) expect(code(() => parseVkey(bad))).toBe('malformed_vkey');
    const k = go.peterVkey as string;
    for (let i = 0; i <= k.length; i++)
      for (let j = i + 1; j <= k.length; j++)
        if (i !== 0 || j !== k.length) expect(code(() => parseVkey(k.slice(i, j)))).toBe('malformed_vkey');
    for (let i = 0; i < k.length; i++) {
      const mangled = k.slice(0, i) + String.fromCharCode(k.charCodeAt(i) + 1) + k.slice(i + 1);
      expect(code(() => parseVkey(mangled))).toBe('malformed_vkey');
    }
  });

  it('signs exactly as Go does (Ed25519 is deterministic)', async () => {
    const signer = ed25519Signer('PeterNeumann', peterSeed);
    expect(signer.vkey).toBe(go.peterVkey);
    expect(await signNote(go.text, [signer])).toBe(`${go.text}\n${go.peterSig}`);
    // An earlier signature by the same key is replaced, others are kept.
    const withBad = parseNote(`${go.text}\n${go.enochSig}`).signatures;
    expect(await signNote(go.text, [signer], withBad)).toBe(`${go.text}\n${go.enochSig}${go.peterSig}`);
  });

  it('opens notes as Go does: unknown keys ignored, a bad known signature rejects, none verified rejects', () => {
    const peter = ed25519Verifier(go.peterVkey);
    const enoch = ed25519Verifier(go.enochVkey);
    const both = `${go.text}\n${go.peterSig}${go.enochSig}`;
    const one = openNote(both, [peter]);
    expect(one.text).toBe(go.text);
    expect(one.verified.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(one.unverified.map((s) => s.name)).toEqual(['EnochRoot']);
    expect(openNote(both, [peter, enoch]).verified).toHaveLength(2);
    expect(code(() => openNote(both, []))).toBe('no_verified_signature');
    expect(code(() => openNote(`${go.text}\n${go.enochSig}`, [enoch, peter, enoch]))).toBe('ambiguous_key');
    expect(code(() => openNote(`${go.text}\n${go.peterSig}`, [enoch, peter, enoch]))).toBe('ok');
    const sig = go.peterSig as string;
    expect(code(() => openNote(`${go.text}\n${sig.slice(0, 60)}ABCD${sig.slice(60)}`, [peter]))).toBe(
      'bad_signature',
    );
    expect(code(() => openNote(`${go.text}\n${sig.repeat(101)}`, [peter]))).toBe('malformed_note');
    // Duplicated lines count once.
    expect(openNote(`${go.text}\n${sig}${sig}${go.enochSig}`, [peter]).verified).toHaveLength(1);
  });

  it('refuses malformed notes with malformed_note', () => {
    const sig = go.peterSig as string;
    for (const bad of [
      go.text, // no signatures
      `${go.text}\n`, // blank line, no signatures
      `${go.text}\n${sig.slice(0, -1)}`, // no final newline
      `${go.text}\n${sig.replace('\u2014 ', '- ')}`,
      `${go.text}\n\u2014 Peter Neumann AAAAAAA=\n`,
      `${go.text}\n\u2014 PeterNeumann AAAA\n`, // under 5 bytes
      `${go.text}\n\u2014 PeterNeumann !!!!\n`,
      `a\u0001b\n\n${sig}`, // control character
    ])
      expect(code(() => openNote(bad, [ed25519Verifier(go.peterVkey)]))).toBe('malformed_note');
  });

  it('verifies the C2SP signed-note example', () => {
    const n = vectors.c2sp.signedNote;
    expect(openNote(n.note, [ed25519Verifier(n.vkey)]).text).toBe('This is an example message.\n');
  });
});

describe('tlog-checkpoint and tlog-cosignature', () => {
  const c = vectors.c2sp.checkpoint;

  it('parses the C2SP example checkpoint and its cosignature line', () => {
    const note = parseNote(c.note);
    const cp = parseCheckpoint(note.text);
    expect(cp.origin).toBe(c.origin);
    expect(cp.size).toBe(c.size);
    expect(formatCheckpoint(cp)).toBe(note.text);
    const witness = note.signatures[1]!;
    expect(witness.name).toBe('witness.example.com/w1');
    expect(cosignatureTimestamp(witness.signature)).toBe(c.cosignatureTimestamp);
    expect(new TextDecoder().decode(cosignedMessage(note.text, c.cosignatureTimestamp))).toBe(
      c.cosignedMessage,
    );
  });

  it('refuses checkpoints that break the format', () => {
    const root = 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=';
    for (const bad of [
      `o\n1\n${root}`, // no final newline
      `o\n1\n`,
      `\n1\n${root}\n`,
      `o\n01\n${root}\n`,
      `o\n-1\n${root}\n`,
      `o\n1\nAAAA\n`,
      `o\n1\n${root}\n\n`, // empty extension line
    ])
      expect(code(() => parseCheckpoint(bad))).toBe('malformed_checkpoint');
    expect(parseCheckpoint(`o\n0\n${root}\next\n`).extensions).toEqual(['ext']);
  });

  it('cosigns with type 0x04 key IDs and timestamps, and verifies with a quorum policy', async () => {
    const logSigner = ed25519Signer('log.example/test', new Uint8Array(32).fill(1));
    const w1 = cosigner('w1.example', new Uint8Array(32).fill(2), () => 1_700_000_000);
    const w2 = cosigner('w2.example', new Uint8Array(32).fill(3), () => 1_700_000_001);
    expect(parseVkey(w1.vkey).type).toBe(SIG_COSIGNATURE_ED25519);
    expect(w1.keyId).toBe(computeKeyId('w1.example', 0x04, parseVkey(w1.vkey).publicKey));
    const text = formatCheckpoint({ origin: 'log.example/test', size: 3, rootHash: new Uint8Array(32) });
    const signed = await signNote(text, [logSigner]);
    const cosigned = await signNote(text, [w1, w2], parseNote(signed).signatures);
    const policy = { origin: 'log.example/test', logKeys: [logSigner.vkey], witnessKeys: [w1.vkey, w2.vkey] };
    const ok = verifyCheckpoint(cosigned, { ...policy, quorum: 2 });
    expect(ok.checkpoint.size).toBe(3);
    expect(ok.cosignatures).toEqual([
      { name: 'w1.example', timestamp: 1_700_000_000 },
      { name: 'w2.example', timestamp: 1_700_000_001 },
    ]);
    expect(code(() => verifyCheckpoint(signed, { ...policy, quorum: 1 }))).toBe('too_few_cosignatures');
    expect(code(() => verifyCheckpoint(cosigned, { ...policy, origin: 'other' }))).toBe('unknown_origin');
    // Only a witness signed: the log's signature is required.
    const onlyWitness = await signNote(text, [w1]);
    expect(code(() => verifyCheckpoint(onlyWitness, policy))).toBe('no_verified_signature');
    // A cosignature is not a log signature: the same key as type 0x01 does not verify 0x04 lines.
    expect(code(() => ed25519Verifier(w1.vkey))).toBe('malformed_vkey');
    expect(code(() => cosignatureVerifier(logSigner.vkey))).toBe('malformed_vkey');
    // A cosignature over another tree fails for its known key.
    const other = formatCheckpoint({ origin: 'log.example/test', size: 4, rootHash: new Uint8Array(32) });
    const wrong = parseNote(await signNote(other, [w1])).signatures;
    const tampered = `${signed}${(await signNote(text, [], wrong)).split('\n\n')[1]}`;
    expect(code(() => verifyCheckpoint(tampered, policy))).toBe('bad_signature');
  });
});

describe('tlog-proof', () => {
  it('parses the C2SP example and writes it back byte for byte', () => {
    const text = vectors.c2sp.tlogProof.text as string;
    const p = parseTlogProof(text);
    expect(p.index).toBe(73894);
    expect(p.proof).toHaveLength(5);
    expect(p.extra).toBeDefined();
    expect(p.checkpoint.startsWith('example.com/fancylog\n109482\n')).toBe(true);
    expect(formatTlogProof(p)).toBe(text);
  });

  it('verifies a proof made here, and refuses one for another leaf or with a broken line', async () => {
    const leaves = Array.from({ length: 11 }, (_, i) => leafHash(Uint8Array.of(i)));
    const signer = ed25519Signer('log.example/p', new Uint8Array(32).fill(9));
    const checkpoint = await signNote(
      formatCheckpoint({ origin: 'log.example/p', size: 11, rootHash: rootFromLeafHashes(leaves) }),
      [signer],
    );
    const text = formatTlogProof({
      index: 7,
      proof: inclusionProof(nodeReaderFromLeaves(leaves), 7, 11),
      checkpoint,
    });
    const policy = { origin: 'log.example/p', logKeys: [signer.vkey] };
    expect(verifyTlogProof(text, leaves[7]!, policy).index).toBe(7);
    expect(code(() => verifyTlogProof(text, leaves[6]!, policy))).toBe('bad_inclusion_proof');
    expect(code(() => parseTlogProof(text.replace('index 7', 'index 07')))).toBe('malformed_proof');
    expect(code(() => parseTlogProof(text.replace('c2sp.org/tlog-proof@v1', 'tlog-proof')))).toBe(
      'malformed_proof',
    );
    expect(code(() => parseTlogProof(text.replace('\n\n', '\n')))).toBe('malformed_proof');
  });
});
