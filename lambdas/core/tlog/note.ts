import { ED25519_KEY_SIZE, ed25519PublicFromSeed, ed25519Sign, ed25519Verify } from './ed25519.js';
import { TlogError } from './errors.js';
import { fromBase64, sha256, toBase64 } from './hash.js';

/**
 * C2SP signed-note: a text ending in a newline, a blank line, then signature lines
 * `— <key name> base64(uint32 key ID || signature)`. Verifiers are C2SP vkeys
 * `<name>+<hex key ID>+base64(type || public key)`.
 */
export const SIG_ED25519 = 0x01;
export const SIG_COSIGNATURE_ED25519 = 0x04;
/** Go's sumdb/note limit; the spec requires accepting at least 16. */
export const MAX_SIGNATURES = 100;
const SIG_PREFIX = '\u2014 ';

export interface NoteSignature {
  name: string;
  keyId: number;
  /** The bytes after the key ID. */
  signature: Uint8Array;
}

export interface Note {
  /** The signed text, final newline included. */
  text: string;
  signatures: NoteSignature[];
}

export interface NoteVerifier {
  name: string;
  keyId: number;
  verify(text: string, signature: Uint8Array): boolean;
}

export interface NoteSigner {
  name: string;
  keyId: number;
  /** The bytes that follow the key ID in the signature line. */
  sign(text: string): Promise<Uint8Array>;
}

const utf8 = new TextEncoder();

/** Key names: non-empty, no Unicode spaces, no plus. */
export function isKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(name);
}

/** key ID = SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian. */
export function computeKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const h = sha256(utf8.encode(name), Uint8Array.of(0x0a, type), publicKey);
  return ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

export interface Vkey {
  name: string;
  keyId: number;
  type: number;
  publicKey: Uint8Array;
}

export function formatVkey(name: string, type: number, publicKey: Uint8Array): string {
  if (!isKeyName(name)) throw new TlogError('malformed_vkey', `bad key name ${JSON.stringify(name)}`);
  const keyId = computeKeyId(name, type, publicKey);
  return `${name}+${hex8(keyId)}+${toBase64(Uint8Array.of(type, ...publicKey))}`;
}

/** Parses a vkey of a type this log uses (Ed25519 0x01, Ed25519 cosignature 0x04), checking its key ID. */
export function parseVkey(vkey: string): Vkey {
  const bad = (why: string): never => {
    throw new TlogError('malformed_vkey', `not a vkey (${why}): ${vkey}`);
  };
  // Split at the first two pluses only: the base64 key may contain more.
  const [name, rest] = chop(vkey);
  const [id, key] = chop(rest ?? '');
  if (rest === undefined || key === undefined) bad('name+id+key expected');
  if (!isKeyName(name)) bad('bad key name');
  if (!/^[0-9a-f]{8}$/.test(id)) bad('the key ID is not 8 lowercase hex digits');
  const bytes = fromBase64(key!) ?? bad('the key is not base64');
  const type = bytes[0];
  if (type !== SIG_ED25519 && type !== SIG_COSIGNATURE_ED25519) bad(`unsupported signature type ${type}`);
  const publicKey = bytes.subarray(1);
  if (publicKey.length !== ED25519_KEY_SIZE) bad('an Ed25519 key is 32 bytes');
  const keyId = Number.parseInt(id, 16);
  if (computeKeyId(name, type!, publicKey) !== keyId) bad('the key ID does not match the key');
  return { name, keyId, type: type!, publicKey };
}

const chop = (s: string): [string, string | undefined] => {
  const i = s.indexOf('+');
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
};

/** A verifier for plain Ed25519 note signatures (type 0x01). */
export function ed25519Verifier(vkey: string | Vkey): NoteVerifier {
  const k = typeof vkey === 'string' ? parseVkey(vkey) : vkey;
  if (k.type !== SIG_ED25519) throw new TlogError('malformed_vkey', `${k.name} is not an Ed25519 note key`);
  const pub = k.publicKey;
  return { name: k.name, keyId: k.keyId, verify: (text, sig) => ed25519Verify(pub, utf8.encode(text), sig) };
}

/** A signer from a 32-byte seed (the local log key; KMS signs elsewhere with the same bytes out). */
export function ed25519Signer(name: string, seed: Uint8Array): NoteSigner & { vkey: string } {
  const publicKey = ed25519PublicFromSeed(seed);
  return {
    name,
    keyId: computeKeyId(name, SIG_ED25519, publicKey),
    vkey: formatVkey(name, SIG_ED25519, publicKey),
    sign: async (text) => ed25519Sign(seed, utf8.encode(text)),
  };
}

function checkText(text: string, what: string) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the spec forbids exactly these
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text))
    throw new TlogError('malformed_note', `${what} has a control character`);
  if (/[\ud800-\udfff]/u.test(text.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')))
    throw new TlogError('malformed_note', `${what} is not valid UTF-8`);
}

/** Notes travel as bytes: they must be valid UTF-8. */
export function decodeNote(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new TlogError('malformed_note', 'the note is not valid UTF-8');
  }
}

/** Splits a signed note into its text and signature lines (nothing verified yet). */
export function parseNote(message: string): Note {
  checkText(message, 'the note');
  const split = message.lastIndexOf('\n\n');
  if (split < 0 || !message.endsWith('\n'))
    throw new TlogError(
      'malformed_note',
      'a signed note is a text, a blank line and signature lines, each ending in a newline',
    );
  const text = message.slice(0, split + 1);
  const lines = message.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES)
    throw new TlogError('malformed_note', `more than ${MAX_SIGNATURES} signatures`);
  return { text, signatures: lines.map(parseSignatureLine) };
}

/** One `— name base64(keyID || sig)` line, without its newline. */
export function parseSignatureLine(line: string): NoteSignature {
  const bad = (why: string): never => {
    throw new TlogError('malformed_note', `bad signature line (${why}): ${line.slice(0, 120)}`);
  };
  if (!line.startsWith(SIG_PREFIX)) bad('it must start with an em dash and a space');
  const rest = line.slice(SIG_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) bad('name and signature expected');
  const name = rest.slice(0, space);
  if (!isKeyName(name)) bad('bad key name');
  const bytes = fromBase64(rest.slice(space + 1)) ?? bad('the signature is not base64');
  if (bytes.length < 5) bad('too short');
  const keyId = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  return { name, keyId, signature: bytes.slice(4) };
}

export function formatSignatureLine(sig: NoteSignature): string {
  const id = Uint8Array.of(
    sig.keyId >>> 24,
    (sig.keyId >>> 16) & 0xff,
    (sig.keyId >>> 8) & 0xff,
    sig.keyId & 0xff,
  );
  return `${SIG_PREFIX}${sig.name} ${toBase64(Uint8Array.of(...id, ...sig.signature))}\n`;
}

export const formatNote = (note: Note): string =>
  `${note.text}\n${note.signatures.map(formatSignatureLine).join('')}`;

/** Signs a text; earlier signatures by other keys are kept, a signer's own earlier one is replaced. */
export async function signNote(
  text: string,
  signers: readonly NoteSigner[],
  keep: NoteSignature[] = [],
): Promise<string> {
  checkText(text, 'the text');
  if (!text.endsWith('\n')) throw new TlogError('malformed_note', 'a note text ends in a newline');
  const fresh: NoteSignature[] = [];
  for (const s of signers) {
    if (!isKeyName(s.name)) throw new TlogError('malformed_note', `bad key name ${JSON.stringify(s.name)}`);
    fresh.push({ name: s.name, keyId: s.keyId, signature: await s.sign(text) });
  }
  const same = (a: NoteSignature, b: NoteSignature) => a.name === b.name && a.keyId === b.keyId;
  const kept = keep.filter((k) => !fresh.some((f) => same(f, k)));
  return formatNote({ text, signatures: [...kept, ...fresh] });
}

export interface OpenedNote extends Note {
  /** Signatures by the given verifiers, each verified. */
  verified: NoteSignature[];
  /** Signatures by keys not given: ignored, as the spec requires. */
  unverified: NoteSignature[];
}

/**
 * Opens a signed note against trusted verifiers: signatures by unknown keys are ignored; a
 * known key's signature that fails rejects the whole note (bad_signature); no verified
 * signature at all is no_verified_signature.
 */
export function openNote(message: string, verifiers: readonly NoteVerifier[]): OpenedNote {
  const note = parseNote(message);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const sig of note.signatures) {
    const line = formatSignatureLine(sig);
    if (seen.has(line)) continue; // the same line twice counts once
    seen.add(line);
    const known = verifiers.filter((v) => v.name === sig.name && v.keyId === sig.keyId);
    if (known.length === 0) {
      unverified.push(sig);
      continue;
    }
    if (known.length > 1)
      throw new TlogError('ambiguous_key', `ambiguous key ${sig.name}+${hex8(sig.keyId)}`);
    if (!known[0]!.verify(note.text, sig.signature))
      throw new TlogError('bad_signature', `invalid signature for key ${sig.name}+${hex8(sig.keyId)}`);
    verified.push(sig);
  }
  if (verified.length === 0)
    throw new TlogError(
      'no_verified_signature',
      `the note has no signature by a trusted key (signed by: ${note.signatures.map((s) => `${s.name}+${hex8(s.keyId)}`).join(', ') || 'nobody'})`,
    );
  return { ...note, verified, unverified };
}
