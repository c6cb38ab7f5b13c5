/**
 * Cognito: the user pool whose JWTs the HTTP API's authorizer accepts. Users are created by
 * administrators (no self sign-up); roles are the groups `finance`, `collector`, `auditor`
 * (claim `cognito:groups`), a collector's department is `custom:department`, which only
 * administrators can write.
 *
 * Note: Cognito puts custom attributes in the ID token, not the access token, so clients
 * send the ID token as the bearer token (its `aud` is the app client id).
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { Role } from '../lambdas/runtime/routes.js';
import type { MfaMode, SesSender } from './config.js';

/** Every role of the route table; `Record` makes a new Role a compile error here. */
const GROUP_DESCRIPTIONS: Record<Role, string> = {
  finance: 'Finance bureau: manages the fee catalogue and number ranges',
  collector: 'Collecting department: charges payers and issues receipts (needs custom:department)',
  auditor: 'Auditor: queries, totals and exports charges; reads alerts and history',
};
export const ROLES = Object.keys(GROUP_DESCRIPTIONS) as Role[];

export const DEPARTMENT_ATTRIBUTE = 'department';

export interface AuthProps {
  /** Prefix of the managed login's domain, `<prefix>.auth.<region>.amazoncognito.com`. */
  signInDomainPrefix: string;
  mfa: MfaMode;
  /** Plus feature plan with threat protection enforced (adaptive authentication, compromised credentials). */
  threatProtection: boolean;
  sesSender?: SesSender;
}

export class Auth extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  /** The managed login (hosted UI): `/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke`, `/logout`. */
  readonly domain: cognito.UserPoolDomain;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      // A changed address takes effect only once verified: until then sign-in and codes use the old one.
      keepOriginal: { email: true },
      email: props.sesSender
        ? cognito.UserPoolEmail.withSES({
            fromEmail: props.sesSender.fromEmail,
            fromName: props.sesSender.fromName,
            replyTo: props.sesSender.replyTo,
            sesRegion: props.sesSender.region ?? Stack.of(this).region,
          })
        : undefined,
      standardAttributes: {
        email: { required: true, mutable: true },
        fullname: { required: false, mutable: true },
      },
      customAttributes: {
        [DEPARTMENT_ATTRIBUTE]: new cognito.StringAttribute({ minLen: 1, maxLen: 64, mutable: true }),
      },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: props.mfa === 'REQUIRED' ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: props.threatProtection ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
      standardThreatProtectionMode: props.threatProtection
        ? cognito.StandardThreatProtectionMode.FULL_FUNCTION
        : undefined,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    for (const role of ROLES) {
      new cognito.UserPoolGroup(this, `Group-${role}`, {
        userPool: this.userPool,
        groupName: role,
        description: GROUP_DESCRIPTIONS[role],
      });
    }

    this.domain = this.userPool.addDomain('SignIn', {
      cognitoDomain: { domainPrefix: props.signInDomainPrefix },
    });

    const standard: cognito.StandardAttributesMask = { email: true, emailVerified: true, fullname: true };
    // The console's client: public (no secret; a browser cannot keep one), the authorization-code
    // flow only (Cognito requires PKCE's S256 challenge of public clients that send one, and the
    // console always does), SRP for the CLI. Its callback and sign-out URLs are set by
    // registerConsole once the distribution's URL exists.
    this.client = this.userPool.addClient('Client', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
      readAttributes: new cognito.ClientAttributes()
        .withStandardAttributes(standard)
        .withCustomAttributes(DEPARTMENT_ATTRIBUTE),
      // Not custom:department: only administrators (AdminUpdateUserAttributes) set it. Email is
      // required, and Cognito wants required attributes writable by the client.
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true, fullname: true }),
    });

    if (props.mfa !== 'REQUIRED') {
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG2',
        reason:
          'The deployment set mfa: OPTIONAL against the default (REQUIRED); synth prints a warning saying so.',
      });
    }
    if (!props.threatProtection) {
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG8',
        reason:
          'threatProtection is off (the default: the Plus plan is billed per monthly active user): no self sign-up, administrators create accounts, TOTP MFA is required unless the deployment turned it off.',
      });
    }
  }

  /**
   * The console's URL is the app client's one callback URL and, with `?signed-out=1` (what the
   * console's sign-out asks to come back to), its sign-out URL; Cognito matches both exactly.
   * Set here rather than in addClient because the URL is the distribution's, made after the
   * API whose authorizer needs this client's id.
   */
  registerConsole(consoleUrl: string): void {
    const client = this.client.node.defaultChild as cognito.CfnUserPoolClient;
    client.callbackUrLs = [consoleUrl];
    client.logoutUrLs = [consoleUrl, `${consoleUrl}?signed-out=1`];
  }

  /** Issuer of the pool's tokens, as the JWT authorizer expects it. */
  get issuer(): string {
    const { region, urlSuffix } = this.userPool.stack;
    return `https://cognito-idp.${region}.${urlSuffix}/${this.userPool.userPoolId}`;
  }
}
