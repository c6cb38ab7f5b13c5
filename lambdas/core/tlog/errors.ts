/**
 * Why a transparency-log check failed. The codes are stable so that the CLI, the witness and
 * the verification page can say exactly what went wrong (and tests can assert it).
 */
export type TlogErrorCode =
  | 'malformed_note'
  | 'malformed_checkpoint'
  | 'malformed_vkey'
  | 'malformed_proof'
  | 'malformed_tile'
  | 'malformed_path'
  | 'malformed_entry'
  | 'unknown_origin'
  | 'ambiguous_key'
  | 'bad_signature'
  | 'no_verified_signature'
  | 'too_few_cosignatures'
  | 'bad_inclusion_proof'
  | 'bad_consistency_proof'
  | 'inconsistent'
  | 'size_out_of_range'
  // A receipt's inclusion (issue 13): no such receipt, not in a checkpoint yet, the entry at its
  // index is another's, or its commitment is not the stored receipt's.
  | 'unknown_receipt'
  | 'not_in_checkpoint'
  | 'wrong_entry'
  | 'commitment_mismatch';

export class TlogError extends Error {
  constructor(
    readonly code: TlogErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TlogError';
  }
}

export const tlogError = (code: TlogErrorCode, message: string) => new TlogError(code, message);
