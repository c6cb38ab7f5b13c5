import type middy from '@middy/core';
import type { APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { AppError } from '../../core/errors.js';
import type { ApiReply, HttpEvent } from './types.js';

/** Lambda's synchronous response limit, less room for headers and base64. */
const LAMBDA_BODY_LIMIT = 5 * 1024 * 1024;

/** The local server sets this on the context: it writes `stream` bodies as they come. */
export type StreamingContext = Context & { feeproofCanStream?: boolean };

/**
 * Leaves a streamed body alone where the runtime can stream it; elsewhere collects it, and
 * refuses with a 413 naming the fix when it outgrows one response.
 */
export function streamedBodies(): middy.MiddlewareObj<
  HttpEvent,
  APIGatewayProxyResultV2,
  Error,
  StreamingContext
> {
  return {
    after: async (request) => {
      const reply = request.response as ApiReply | undefined;
      if (!reply?.stream || request.context.feeproofCanStream) return;
      let body = '';
      for await (const chunk of reply.stream) {
        body += chunk;
        if (body.length > LAMBDA_BODY_LIMIT)
          throw new AppError(
            'payload_too_large',
            'the export is larger than one response can carry; narrow the date range or filters',
          );
      }
      const { stream: _stream, ...rest } = reply;
      request.response = { ...rest, body };
    },
  };
}
