import { randomBytes, randomInt } from 'node:crypto';
import { CHECK_CODE_ALPHABET, CHECK_CODE_LENGTH } from '../core/receipt.js';

/** Sortable unique id: ISO instant + 8 random hex characters. */
export function newId(at: Date = new Date()): string {
  return `${at.toISOString()}-${randomBytes(4).toString('hex')}`;
}

/** A receipt's check code (校验码): uniformly random from the CSPRNG, the secret public verification needs. */
export function newCheckCode(): string {
  let code = '';
  for (let i = 0; i < CHECK_CODE_LENGTH; i++)
    code += CHECK_CODE_ALPHABET[randomInt(CHECK_CODE_ALPHABET.length)];
  return code;
}
