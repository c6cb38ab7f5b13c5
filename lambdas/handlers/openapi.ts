import { z } from 'zod';
import { CONTENT_TYPES, isPublic, ROUTES } from '../runtime/routes.js';

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
        properties: {
          path: { type: 'string' },
          rule: { type: 'string' },
          message: { type: 'string' },
          line: { type: 'integer', description: 'the charge line a rule of the charge check names' },
          suggestion: { type: 'string', description: 'a value of the field the rule would accept' },
        },
      },
    },
  },
};

type JsonSchema = { properties?: Record<string, unknown>; required?: string[] };

const jsonSchema = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema;

/** One OpenAPI parameter per property of a part's schema (path parameters all required). */
function parametersOf(where: 'path' | 'query' | 'header', schema: z.ZodType | undefined) {
  const { properties = {}, required = [] } = schema ? jsonSchema(schema) : {};
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.includes(name),
    schema: property,
  }));
}

/** The OpenAPI 3.1 document, built from the route table and the schemas it names. */
export function openApiDocument(serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const schemas = route.request ?? {};
    const parameters = [
      ...parametersOf('path', schemas.params),
      ...parametersOf('query', schemas.query),
      ...parametersOf('header', schemas.headers),
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
