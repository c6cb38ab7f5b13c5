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
      // Text chunks (CSV) make a text body; any binary chunk (a zip) makes the body base64.
      const parts: Buffer[] = [];
      let binary = false;
      let size = 0;
      for await (const chunk of reply.stream) {
        binary ||= typeof chunk !== 'string';
        const part = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
        size += part.length;
        if ((binary ? Math.ceil(size / 3) * 4 : size) > LAMBDA_BODY_LIMIT)
          throw new AppError(
            'payload_too_large',
            'the export is larger than one response can carry; narrow the date range or filters',
          );
        parts.push(part);
      }
      const { stream: _stream, ...rest } = reply;
      const bytes = Buffer.concat(parts);
      request.response = binary
        ? { ...rest, body: bytes.toString('base64'), isBase64Encoded: true }
        : { ...rest, body: bytes.toString('utf8') };
    },
  };
}
