export {
  CertificateFormatError,
  type CertificateSummary,
  certificateFromPem,
  certificateToPem,
  createSelfSignedCertificate,
  describeCertificate,
  parseCertificate,
  type SelfSignedOptions,
} from './certificate.js';
export { createKmsSigner, isRetryableKmsError, type KmsSignerOptions } from './kms-signer.js';
export { openLocalSigner } from './local-signer.js';
export { KeyFormatError } from './p256.js';
