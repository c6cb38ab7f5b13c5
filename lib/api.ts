/**
 * The HTTP API: one route per entry of ROUTES, integrated with its group's function. Public
 * routes have no authorizer; every other route has the Cognito JWT authorizer (the handler
 * then checks the groups the route allows).
 */
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { isPublic, ROUTES, type RouteGroup, routeKey } from '../lambdas/runtime/routes.js';
import type { ApiThrottling } from './config.js';
import { pascal } from './names.js';

export interface ApiProps {
  /** Token issuer (`https://cognito-idp.<region>.amazonaws.com/<poolId>`). */
  issuer: string;
  /** Accepted `aud`/`client_id`: the app client id. */
  audience: string;
  throttling: ApiThrottling;
}

export class Api extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly routes: apigw.HttpRoute[] = [];
  private readonly authorizer: HttpJwtAuthorizer;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'feeproof API (v1)',
      createDefaultStage: false,
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttling.rateLimit, burstLimit: props.throttling.burstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            userAgent: '$context.identity.userAgent',
          }),
        ),
      },
    });

    this.authorizer = new HttpJwtAuthorizer('CognitoJwt', props.issuer, {
      jwtAudience: [props.audience],
      identitySource: ['$request.header.Authorization'],
    });
  }

  /** One route per entry of ROUTES, to its group's function. */
  addRoutes(functions: ReadonlyMap<RouteGroup, lambda.IFunction>): void {
    const noAuth = new apigw.HttpNoneAuthorizer();
    const integrations = new Map<RouteGroup, HttpLambdaIntegration>();
    for (const [group, fn] of functions) {
      integrations.set(
        group,
        new HttpLambdaIntegration(`${pascal(group)}Integration`, fn, {
          payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
        }),
      );
    }

    for (const route of ROUTES) {
      const integration = integrations.get(route.group);
      if (!integration) throw new Error(`no function for route group '${route.group}'`);
      const [path, method] = [route.path, apigw.HttpMethod[route.method]];
      // The route key CDK renders must be the table's, which the handlers dispatch on.
      if (apigw.HttpRouteKey.with(path, method).key !== routeKey(route)) {
        throw new Error(`route key mismatch for ${route.id}`);
      }
      const httpRoute = new apigw.HttpRoute(this, `Route-${pascal(route.id)}`, {
        httpApi: this.httpApi,
        routeKey: apigw.HttpRouteKey.with(path, method),
        integration,
        authorizer: isPublic(route) ? noAuth : this.authorizer,
      });
      if (isPublic(route)) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${routeKey(route)} is public by design (access: 'public' in the route table): payers and the public read the catalogue and verify receipts without an account; the stage throttles it.`,
        });
      }
      this.routes.push(httpRoute);
    }
  }

  /** `<apiId>.execute-api.<region>.amazonaws.com`: the CloudFront origin. */
  get domainName(): string {
    const stack = Stack.of(this);
    return `${this.httpApi.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
  }
}
