import { z } from 'zod';
import { CONTENT_TYPES, isPublic, ROUTES } from '../runtime/routes.js';
import { REQUEST_SCHEMAS } from './request-schemas.js';

const errorSchema = {
  type: 'object',
  required: ['error', 'message', 'details'],
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    details: {
      type: 'array',
      items: {
        type: 'object',
        properties: { path: { type: 'string' }, rule: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

const jsonSchema = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' });

/** The OpenAPI 3.1 document, built from the route table and the request schemas. */
export function openApiDocument(serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const schemas = REQUEST_SCHEMAS[route.id] ?? {};
    const parameters = [
      ...[...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      ...Object.entries(
        (schemas.query ? (jsonSchema(schemas.query).properties ?? {}) : {}) as Record<string, unknown>,
      ).map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
    ];
    const body = route.body
      ? {
          requestBody: {
            required: true,
            content: {
              [CONTENT_TYPES[route.body.type]]: {
                schema: schemas.body ? jsonSchema(schemas.body) : { type: 'string', format: 'binary' },
              },
            },
          },
        }
      : {};
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      operationId: route.id,
      summary: route.summary,
      tags: [route.group],
      ...(isPublic(route) ? { security: [] } : { security: [{ bearer: [] }], 'x-roles': route.access }),
      parameters,
      ...body,
      responses: {
        '200': { description: 'OK' },
        default: {
          description: 'Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'feeproof',
      version: '1',
      description:
        'Electronic non-tax receipts checked against the published fee catalogue. Amounts are decimal strings in yuan.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}
