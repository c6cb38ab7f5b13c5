import { Agent, request as httpRequest } from 'node:http';

/**
 * The load generator's HTTP client: node:http with connections kept alive. It costs the
 * shared cores about half of what fetch does per request, leaving more to the server measured.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export interface BenchResponse {
  status: number;
  body: Buffer;
}

export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<BenchResponse> {
  return new Promise((ok, fail) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(options.body);
  });
}
