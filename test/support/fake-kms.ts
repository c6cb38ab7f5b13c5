import { createHash, generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DisabledException,
  GetPublicKeyCommand,
  type GetPublicKeyCommandInput,
  type GetPublicKeyCommandOutput,
  InvalidKeyUsageException,
  KMSClient,
  KMSInvalidSignatureException,
  NotFoundException,
  SignCommand,
  type SignCommandInput,
  type SignCommandOutput,
  VerifyCommand,
  type VerifyCommandInput,
  type VerifyCommandOutput,
} from '@aws-sdk/client-kms';
import { p256 } from '@noble/curves/nist.js';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { p256KeyFromPem, signP256Digest } from '../../lambdas/adapters/signing/p256.js';
import {
  generateSm2KeyPem,
  signSm2Digest,
  sm2KeyFromPem,
  sm2MessageDigest,
  verifySm2Digest,
} from '../../lambdas/adapters/signing/sm2.js';

/**
 * A fake AWS KMS that really signs, behind the real SDK client (aws-sdk-client-mock): the code
 * under test builds real commands, the fake answers as KMS does for the asymmetric key specs
 * feeproof uses.
 *   ECC_NIST_P256          ECDSA_SHA_256    RAW (KMS hashes with SHA-256) or DIGEST (32 bytes)
 *   ECC_NIST_EDWARDS25519  ED25519_SHA_512  RAW only (pure Ed25519; KMS refuses DIGEST for it)
 *   SM2                    SM2DSA           DIGEST = e = SM3(Z ‖ M), computed by the caller;
 *                                           RAW: KMS computes Z with the default ID 1234567812345678
 * Signatures are DER (r, s) for ECDSA and SM2, the 64-byte R ‖ S for Ed25519, as KMS returns them.
 * Keys are found by key id, key ARN, alias name (`alias/…`) or alias ARN; an unknown key is a
 * NotFoundException, a disabled one a DisabledException, a wrong algorithm an InvalidKeyUsageException.
 */

export type FakeKeySpec = 'ECC_NIST_P256' | 'ECC_NIST_EDWARDS25519' | 'SM2';
type SigningAlgorithm = 'ECDSA_SHA_256' | 'ED25519_SHA_512' | 'SM2DSA';

const ALGORITHM: Record<FakeKeySpec, SigningAlgorithm> = {
  ECC_NIST_P256: 'ECDSA_SHA_256',
  ECC_NIST_EDWARDS25519: 'ED25519_SHA_512',
  SM2: 'SM2DSA',
};

interface KeyMaterial {
  spki: Uint8Array;
  /** Signs what KMS signs for this spec; `message` is already checked against the MessageType. */
  sign(message: Uint8Array, messageType: 'RAW' | 'DIGEST'): Uint8Array;
  verify(message: Uint8Array, messageType: 'RAW' | 'DIGEST', signature: Uint8Array): boolean;
}

const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());

function p256Material(): KeyMaterial {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
  const key = p256KeyFromPem(pem);
  const point = p256.Point.fromBytes(key.spki.subarray(key.spki.length - 65)).toBytes();
  // RAW messages are hashed by KMS; DIGEST messages are signed as given.
  const digestOf = (message: Uint8Array, type: 'RAW' | 'DIGEST') =>
    type === 'DIGEST' ? message : sha256(message);
  return {
    spki: key.spki,
    sign: (message, type) => signP256Digest(digestOf(message, type), key.secretKey),
    verify: (message, type, signature) =>
      p256.verify(signature, digestOf(message, type), point, { prehash: false, format: 'der' }),
  };
}

function ed25519Material(): KeyMaterial {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    spki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
    verify: (message, _type, signature) => verify(null, message, publicKey, signature),
  };
}

function sm2Material(): KeyMaterial {
  const key = sm2KeyFromPem(generateSm2KeyPem());
  // RAW: KMS computes e = SM3(Z ‖ M) itself, Z with the default distinguishing ID.
  const eOf = (message: Uint8Array, type: 'RAW' | 'DIGEST') =>
    type === 'DIGEST' ? message : sm2MessageDigest(message, key.spki);
  return {
    spki: key.spki,
    sign: (message, type) => signSm2Digest(eOf(message, type), key),
    verify: (message, type, signature) => verifySm2Digest(eOf(message, type), signature, key.spki),
  };
}

const MATERIAL: Record<FakeKeySpec, () => KeyMaterial> = {
  ECC_NIST_P256: p256Material,
  ECC_NIST_EDWARDS25519: ed25519Material,
  SM2: sm2Material,
};

export interface FakeKmsKey {
  readonly keySpec: FakeKeySpec;
  readonly keyId: string;
  readonly arn: string;
  readonly spki: Uint8Array;
  enabled: boolean;
  /** The GetPublicKey answer for this key. */
  publicKey(): GetPublicKeyCommandOutput;
}

export interface FakeKmsOptions {
  /** Default cn-north-1 (partition aws-cn: where SM2 exists). */
  region?: string;
  account?: string;
  /** An existing client to stub; default a new KMSClient with dummy credentials. */
  client?: KMSClient;
  /**
   * Stub every KMSClient (the class), for code that makes its own client (lambdas/app/deps.ts).
   * Call `restore()` after the test.
   */
  allClients?: boolean;
}

const ERR = { $metadata: {} };

/** The operations `listen()` serves, by the name in the X-Amz-Target header. */
const HTTP_OPERATIONS: Record<string, new (input: never) => unknown> = {
  GetPublicKey: GetPublicKeyCommand,
  Sign: SignCommand,
  Verify: VerifyCommand,
};

export class FakeKms {
  readonly client: KMSClient;
  readonly mock: AwsClientStub<KMSClient>;
  readonly region: string;
  readonly account: string;
  private readonly keys = new Map<string, { key: FakeKmsKey; material: KeyMaterial }>();
  private readonly aliases = new Map<string, string>();

  constructor(options: FakeKmsOptions = {}) {
    this.region = options.region ?? 'cn-north-1';
    this.account = options.account ?? '111122223333';
    this.client =
      options.client ??
      new KMSClient({
        region: this.region,
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
        maxAttempts: 1,
      });
    this.mock = options.allClients ? mockClient(KMSClient) : mockClient(this.client);
    this.install();
  }

  /** Removes the stub (needed after `allClients`). */
  restore(): void {
    this.mock.restore();
  }

  /** (Re)installs the default handlers: after `mock.on(...)` overrides, `reset()` then this. */
  install(): void {
    this.mock
      .on(GetPublicKeyCommand)
      .callsFake((input: GetPublicKeyCommandInput) => this.getPublicKey(input));
    this.mock.on(SignCommand).callsFake((input: SignCommandInput) => this.sign(input));
    this.mock.on(VerifyCommand).callsFake((input: VerifyCommandInput) => this.verify(input));
  }

  get partition(): string {
    return this.region.startsWith('cn-') ? 'aws-cn' : 'aws';
  }

  /** Creates a key of the spec; `keyId` defaults to a random UUID, `aliases` are `alias/…` names. */
  createKey(keySpec: FakeKeySpec, opts: { keyId?: string; aliases?: string[] } = {}): FakeKmsKey {
    const keyId = opts.keyId ?? randomUUID();
    const material = MATERIAL[keySpec]();
    const arn = `arn:${this.partition}:kms:${this.region}:${this.account}:key/${keyId}`;
    const key: FakeKmsKey = {
      keySpec,
      keyId,
      arn,
      spki: material.spki,
      enabled: true,
      publicKey: () => ({
        KeyId: arn,
        PublicKey: material.spki.slice(),
        KeySpec: keySpec,
        KeyUsage: 'SIGN_VERIFY',
        SigningAlgorithms: [ALGORITHM[keySpec]],
        $metadata: {},
      }),
    };
    this.keys.set(keyId, { key, material });
    for (const alias of opts.aliases ?? []) this.setAlias(alias, keyId);
    return key;
  }

  /** Points an alias at a key (CreateAlias / UpdateAlias): how a key is rotated behind an alias. */
  setAlias(alias: string, keyId: string): void {
    if (!alias.startsWith('alias/')) throw new Error(`an alias name starts with alias/: ${alias}`);
    this.aliases.set(alias, keyId);
  }

  /** The key a KeyId names (id, ARN, alias, alias ARN), or undefined. */
  find(keyIdOrAlias: string | undefined): FakeKmsKey | undefined {
    return keyIdOrAlias === undefined ? undefined : this.resolve(keyIdOrAlias)?.key;
  }

  private resolve(ref: string) {
    const arnPrefix = `arn:${this.partition}:kms:${this.region}:${this.account}:`;
    const local = ref.startsWith(arnPrefix) ? ref.slice(arnPrefix.length) : ref;
    if (local.startsWith('alias/')) {
      const id = this.aliases.get(local);
      return id === undefined ? undefined : this.keys.get(id);
    }
    return this.keys.get(local.startsWith('key/') ? local.slice('key/'.length) : local);
  }

  private usable(ref: string | undefined) {
    const found = ref === undefined ? undefined : this.resolve(ref);
    if (!found) throw new NotFoundException({ message: `Key '${ref}' does not exist`, ...ERR });
    if (!found.key.enabled) throw new DisabledException({ message: `${found.key.arn} is disabled.`, ...ERR });
    return found;
  }

  /**
   * What a Sign or Verify asks, checked as KMS checks it: the key (usable, of the algorithm),
   * the message (its type and size), and the fields every answer carries.
   */
  private checked({ KeyId, SigningAlgorithm: algorithm, Message: message, MessageType }: SignCommandInput) {
    const found = this.usable(KeyId);
    const { key } = found;
    if (algorithm !== ALGORITHM[key.keySpec])
      throw new InvalidKeyUsageException({
        message: `${algorithm} is not supported for ${key.keySpec} key ${key.arn}`,
        ...ERR,
      });
    const type = MessageType === 'DIGEST' ? 'DIGEST' : 'RAW';
    if (!message || message.length === 0 || message.length > 4096)
      throw validation('Message must be 1 to 4096 bytes');
    if (type === 'DIGEST') {
      if (key.keySpec === 'ECC_NIST_EDWARDS25519')
        throw validation('ED25519_SHA_512 signs RAW messages only; use ED25519_PH_SHA_512 for a digest');
      if (message.length !== 32) throw validation(`a ${algorithm} digest is 32 bytes, got ${message.length}`);
    }
    const answer = { KeyId: key.arn, SigningAlgorithm: ALGORITHM[key.keySpec], $metadata: {} };
    return { material: found.material, message, type, answer } as const;
  }

  getPublicKey(input: GetPublicKeyCommandInput): GetPublicKeyCommandOutput {
    return this.usable(input.KeyId).key.publicKey();
  }

  sign(input: SignCommandInput): SignCommandOutput {
    const { material, message, type, answer } = this.checked(input);
    return { ...answer, Signature: material.sign(message, type) };
  }

  verify(input: VerifyCommandInput): VerifyCommandOutput {
    const { material, message, type, answer } = this.checked(input);
    if (!input.Signature || !material.verify(message, type, input.Signature))
      throw new KMSInvalidSignatureException({ message: 'invalid signature', ...ERR });
    return { ...answer, SignatureValid: true };
  }

  /**
   * This fake over HTTP, as KMS's JSON protocol (AWS JSON 1.1) carries it, for code in another
   * process (a Lambda bundle, test/cdk/bundles.test.ts): point AWS_ENDPOINT_URL_KMS at `endpoint`.
   * Each request is sent through this fake's client, so `signCalls()` and `mock` see it; errors
   * answer 400 with their `__type`, as KMS does. Requests are not authenticated.
   */
  async listen(): Promise<{ endpoint: string; close(): Promise<void> }> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const answer = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(
            JSON.stringify(body, (_, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)),
          );
        };
        const operation = String(req.headers['x-amz-target'] ?? '').replace(/^TrentService\./, '');
        const Command = HTTP_OPERATIONS[operation];
        if (!Command) return answer(400, { __type: 'UnknownOperationException', message: operation });
        try {
          const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          for (const blob of ['Message', 'Signature'])
            if (typeof input[blob] === 'string')
              input[blob] = new Uint8Array(Buffer.from(input[blob], 'base64'));
          const { $metadata: _, ...output } = await this.client.send(new Command(input as never) as never);
          answer(200, output);
        } catch (e) {
          answer(400, { __type: (e as Error).name, message: (e as Error).message });
        }
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    return {
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((ok) => server.close(() => ok())),
    };
  }

  /** The Sign calls made so far, in order. */
  signCalls(): SignCommandInput[] {
    return this.mock.commandCalls(SignCommand).map((c) => c.args[0].input);
  }
}

function validation(message: string): Error {
  return Object.assign(new Error(message), {
    name: 'ValidationException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}
