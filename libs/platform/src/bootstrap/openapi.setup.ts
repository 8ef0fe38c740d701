import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { PUBLIC_OPERATION_EXTENSION } from '../auth/auth.decorators';
import { PROBLEM_CONTENT_TYPE } from '../http/problem-details';

/** Name of the API-key security scheme in the OpenAPI document. */
export const API_KEY_SECURITY_SCHEME = 'apiKey';

/** Options of the served OpenAPI document. */
export interface OpenApiOptions {
  title: string;
  version?: string;
  description?: string;
}

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'detail', 'instance', 'code'],
  properties: {
    type: { type: 'string', format: 'uri', example: 'urn:handoff:problem:ticket-not-found' },
    title: { type: 'string', example: 'Not Found' },
    status: { type: 'integer', example: 404 },
    detail: { type: 'string', example: 'Ticket t-42 was not found' },
    instance: { type: 'string', example: '/tickets/t-42' },
    code: { type: 'string', example: 'ticket-not-found' },
    errors: {
      type: 'array',
      description: 'Present on validation-failed: one entry per invalid field',
      items: {
        type: 'object',
        required: ['field', 'pointer', 'detail', 'constraints'],
        properties: {
          field: { type: 'string', example: 'text' },
          pointer: { type: 'string', example: '/text' },
          detail: { type: 'string', example: 'text must be a string' },
          constraints: { type: 'array', items: { type: 'string' }, example: ['isString'] },
        },
      },
    },
  },
  additionalProperties: true,
} as const;

const ERROR_RESPONSES: Readonly<Record<string, string>> = {
  '400': 'Malformed JSON or invalid fields (validation-failed lists each field)',
  '401': 'Missing or invalid API key',
  '403': 'The key’s role does not allow this operation',
  '404': 'Not found (also for another tenant’s resources)',
  '413': 'Request body over the limit',
  '415': 'Request body is not application/json',
  '500': 'Unexpected error (details are logged, not returned)',
};
const PUBLIC_ERRORS = new Set(['500']);
const BODY_ERRORS = new Set(['413', '415']);

/**
 * Builds the document from the controllers, then adds what decorators cannot say once for all: the
 * API-key scheme (required everywhere but on `@Public` routes) and the problem+json error responses
 * every operation can produce.
 */
export function buildOpenApiDocument(app: INestApplication, options: OpenApiOptions): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(options.title)
    .setVersion(options.version ?? '1')
    .setDescription(options.description ?? '')
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'x-api-key',
        description: 'API key (also accepted as "Authorization: ApiKey <key>")',
      },
      API_KEY_SECURITY_SCHEME,
    )
    .addSecurityRequirements(API_KEY_SECURITY_SCHEME)
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components ??= {};
  document.components.schemas = {
    ...document.components.schemas,
    ProblemDetails: { ...PROBLEM_SCHEMA } as never,
  };
  const problemRef = { $ref: '#/components/schemas/ProblemDetails' };

  for (const pathItem of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const) {
      const operation = pathItem[method];
      if (!operation) continue;
      const isPublic = (operation as unknown as Record<string, unknown>)[PUBLIC_OPERATION_EXTENSION] === true;
      if (isPublic) operation.security = [];
      const hasBody = operation.requestBody !== undefined;
      for (const [status, description] of Object.entries(ERROR_RESPONSES)) {
        if (isPublic && !PUBLIC_ERRORS.has(status)) continue;
        if (!hasBody && BODY_ERRORS.has(status)) continue;
        const existing = operation.responses[status] as { description?: string } | undefined;
        operation.responses[status] = {
          description: existing?.description ?? description,
          content: { [PROBLEM_CONTENT_TYPE]: { schema: problemRef } },
        };
      }
    }
  }
  return document;
}

const UI_ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
};

const UI_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>API documentation</title><link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/docs-json', dom_id: '#swagger-ui', presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });</script>
</body>
</html>`;

/**
 * Serves the document at `/docs-json` (and `/docs-yaml`) and a Swagger UI at `/docs`; none needs an
 * API key. The UI is served here rather than by SwaggerModule because on Fastify that needs
 * `@fastify/static`; three fixed files from swagger-ui-dist (which @nestjs/swagger brings) suffice.
 */
export function serveOpenApi(app: NestFastifyApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, {
    ui: false,
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });
  const assetsDir = dirname(
    require.resolve('swagger-ui-dist/package.json', { paths: [dirname(require.resolve('@nestjs/swagger'))] }),
  );
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/docs', (_request, reply) => reply.type('text/html; charset=utf-8').send(UI_PAGE));
  for (const [file, type] of Object.entries(UI_ASSETS)) {
    // Read on first request, not at start-up: most processes never serve the UI.
    let content: Buffer | undefined;
    fastify.get(`/docs/${file}`, (_request, reply) => {
      content ??= readFileSync(join(assetsDir, file));
      return reply.type(type).header('cache-control', 'public, max-age=86400').send(content);
    });
  }
}
