declare module '@20minutes/s3rver' {
  import type { IncomingMessage, Server } from 'node:http';

  interface Context {
    method: string;
    path: string;
    status: number;
    body: unknown;
    type: string;
    headers: Record<string, string | undefined>;
    req: IncomingMessage;
    store: { existsObject(bucket: string, key: string): Promise<boolean> };
  }
  type Middleware = (ctx: Context, next: () => Promise<void>) => Promise<void>;
  export default class S3rver {
    constructor(options: {
      address?: string;
      port?: number;
      silent?: boolean;
      directory?: string;
      configureBuckets?: { name: string }[];
      resetOnClose?: boolean;
    });
    middleware: Middleware[];
    httpServer?: Server;
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}
