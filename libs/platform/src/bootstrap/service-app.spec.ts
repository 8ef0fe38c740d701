import type { LightMyRequestResponse } from 'fastify';
import type { MintedApiKey } from '../auth/api-key';
import { startTestApp, type TestApp } from '../test-app/test-app.fixture';

// The platform's HTTP edge, through Fastify's in-process injection (no port): auth, tenancy, bad
// input, problem details, logs, OpenAPI and metrics. Readiness with real dependencies is in
// health/readiness.int.spec.ts.
describe('createServiceApp', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.app.close());

  const inject = (options: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(options);
  const problem = (res: LightMyRequestResponse) => {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    return res.json<Record<string, unknown>>();
  };
  const note = (key: string | undefined, payload: unknown = { text: 'called back' }, ticket = 't-a1') =>
    inject({
      method: 'POST',
      url: `/tickets/${ticket}/notes`,
      headers: key ? { 'x-api-key': key } : {},
      payload: payload as Record<string, unknown>,
    });

  describe('authentication', () => {
    it('answers 401 problem+json with WWW-Authenticate when the key is missing', async () => {
      const res = await inject({ method: 'GET', url: '/tickets/t-a1' });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('ApiKey realm="handoff"');
      expect(problem(res)).toMatchObject({
        status: 401,
        code: 'authentication-required',
        type: 'urn:handoff:problem:authentication-required',
        title: 'Unauthorized',
        instance: '/tickets/t-a1',
      });
    });

    it('answers 401 for a wrong key, in x-api-key or Authorization', async () => {
      const wrong = await inject({
        method: 'GET',
        url: '/tickets/t-a1',
        headers: { 'x-api-key': 'hk_wrong' },
      });
      expect(wrong.statusCode).toBe(401);
      expect(problem(wrong).detail).toBe('The API key is not valid');
      const bearer = await inject({
        method: 'GET',
        url: '/tickets/t-a1',
        headers: { authorization: `Bearer ${t.keys.agentA.key}` },
      });
      expect(bearer.statusCode).toBe(401);
    });

    it('accepts the key in x-api-key and as "Authorization: ApiKey <key>"', async () => {
      const direct = await inject({
        method: 'GET',
        url: '/tickets/t-a1',
        headers: { 'x-api-key': t.keys.agentA.key },
      });
      expect(direct.statusCode).toBe(200);
      expect(direct.json()).toMatchObject({ ticketId: 't-a1', tenantId: 'tenant-a' });
      const scheme = await inject({
        method: 'GET',
        url: '/tickets/t-a1',
        headers: { authorization: `ApiKey ${t.keys.agentA.key}` },
      });
      expect(scheme.statusCode).toBe(200);
    });

    it('sets the principal with a key id that is not the key', async () => {
      const res = await note(t.keys.agentA.key);
      expect(res.statusCode).toBe(201);
      const by = res.json<{ by: string }>().by;
      expect(by).toMatch(/^tenant-a\/[0-9a-f]{12}$/);
      expect(t.keys.agentA.key).not.toContain(by.split('/')[1]);
    });
  });

  describe('roles', () => {
    it('answers 403 when the role is not allowed', async () => {
      const res = await note(t.keys.botA.key);
      expect(res.statusCode).toBe(403);
      expect(problem(res)).toMatchObject({ status: 403, code: 'access-denied' });
    });

    it('lets an auditor read but never write, even on a route without @Roles', async () => {
      expect(
        (await inject({ method: 'GET', url: '/tickets/t-a1', headers: { 'x-api-key': t.keys.auditorA.key } }))
          .statusCode,
      ).toBe(200);
      const write = await note(t.keys.auditorA.key);
      expect(write.statusCode).toBe(403);
      expect(problem(write).detail).toMatch(/never write/);
      const close = await inject({
        method: 'POST',
        url: '/tickets/t-a1/close',
        headers: { 'x-api-key': t.keys.auditorA.key },
      });
      expect(close.statusCode).toBe(403);
      // The same route is open to other roles: the refusal is the auditor rule, not the route.
      const agentClose = await inject({
        method: 'POST',
        url: '/tickets/t-a1/close',
        headers: { 'x-api-key': t.keys.agentA.key },
      });
      expect(agentClose.statusCode).toBe(204);
    });

    it('lets an auditor POST to an @AuditorAllowed route', async () => {
      const res = await inject({
        method: 'POST',
        url: '/audit/verify',
        headers: { 'x-api-key': t.keys.auditorA.key },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ verified: true, tenantId: 'tenant-a' });
      const agent = await inject({
        method: 'POST',
        url: '/audit/verify',
        headers: { 'x-api-key': t.keys.agentA.key },
      });
      expect(agent.statusCode).toBe(403);
    });
  });

  describe('tenancy', () => {
    it("answers tenant A's request for tenant B's ticket exactly like a missing ticket", async () => {
      const other = await inject({
        method: 'GET',
        url: '/tickets/t-b1',
        headers: { 'x-api-key': t.keys.agentA.key },
      });
      const missing = await inject({
        method: 'GET',
        url: '/tickets/t-zz',
        headers: { 'x-api-key': t.keys.agentA.key },
      });
      expect(other.statusCode).toBe(404);
      expect(missing.statusCode).toBe(404);
      const { instance: _a, detail: otherDetail, ...otherRest } = problem(other);
      const { instance: _b, detail: missingDetail, ...missingRest } = problem(missing);
      expect(otherRest).toEqual(missingRest);
      expect(otherDetail).toBe('Ticket t-b1 was not found');
      expect(missingDetail).toBe('Ticket t-zz was not found');
    });

    it("does not let tenant A change tenant B's ticket", async () => {
      const res = await note(t.keys.agentA.key, { text: 'hi' }, 't-b1');
      expect(res.statusCode).toBe(404);
      const owner = await inject({
        method: 'GET',
        url: '/tickets/t-b1',
        headers: { 'x-api-key': t.keys.agentB.key },
      });
      expect(owner.json<{ notes: string[] }>().notes).toEqual([]);
    });
  });

  describe('bad input', () => {
    it('answers 400 malformed-json for a body that is not JSON', async () => {
      const res = await inject({
        method: 'POST',
        url: '/tickets/t-a1/notes',
        headers: { 'x-api-key': t.keys.agentA.key, 'content-type': 'application/json' },
        payload: '{"text": "unterminated',
      });
      expect(res.statusCode).toBe(400);
      expect(problem(res)).toMatchObject({
        code: 'malformed-json',
        detail: 'The request body is not valid JSON',
      });
    });

    it('answers 415 for a body that is not application/json', async () => {
      for (const contentType of ['application/xml', 'text/plain']) {
        const res = await inject({
          method: 'POST',
          url: '/tickets/t-a1/notes',
          headers: { 'x-api-key': t.keys.agentA.key, 'content-type': contentType },
          payload: 'text=hello',
        });
        expect(res.statusCode).toBe(415);
        expect(problem(res)).toMatchObject({ status: 415, code: 'unsupported-media-type' });
      }
    });

    it('answers 413 for a body over BODY_LIMIT_BYTES', async () => {
      const res = await note(t.keys.agentA.key, { text: 'x'.repeat(2048) });
      expect(res.statusCode).toBe(413);
      expect(problem(res)).toMatchObject({
        status: 413,
        code: 'content-too-large',
        title: 'Content Too Large',
      });
    });

    it('lists every invalid field, unknown ones included, without echoing values', async () => {
      const res = await note(t.keys.agentA.key, { text: '', visibility: 'everyone', secretField: 'hunter2' });
      expect(res.statusCode).toBe(400);
      const body = problem(res);
      expect(body).toMatchObject({ code: 'validation-failed', status: 400 });
      const errors = body.errors as { field: string; pointer: string; constraints: string[] }[];
      expect(errors.map((e) => e.field).sort()).toEqual(['secretField', 'text', 'visibility']);
      expect(errors.find((e) => e.field === 'text')).toMatchObject({
        pointer: '/text',
        constraints: ['minLength'],
      });
      expect(res.body).not.toContain('hunter2');
    });

    it('answers 404 problem+json for an unknown route', async () => {
      const res = await inject({ method: 'GET', url: '/no/such/route?token=abc' });
      expect(res.statusCode).toBe(404);
      expect(problem(res)).toMatchObject({ status: 404, code: 'not-found', instance: '/no/such/route' });
    });
  });

  describe('domain errors', () => {
    it.each([
      ['invalid', 400],
      ['unauthorized', 401],
      ['forbidden', 403],
      ['not-found', 404],
      ['conflict', 409],
      ['too-large', 413],
      ['unprocessable', 422],
      ['unavailable', 503],
    ])('maps kind %s to %i with its code and extensions', async (kind, status) => {
      const res = await inject({
        method: 'GET',
        url: `/errors/${kind}`,
        headers: { 'x-api-key': t.keys.agentA.key },
      });
      expect(res.statusCode).toBe(status);
      expect(problem(res)).toEqual({
        type: `urn:handoff:problem:test-${kind}`,
        title: expect.any(String) as unknown,
        status,
        detail: `A ${kind} failure`,
        instance: `/errors/${kind}`,
        code: `test-${kind}`,
        hint: 'test',
      });
    });

    it('answers 500 without internals for anything else', async () => {
      const res = await inject({
        method: 'GET',
        url: '/errors/boom',
        headers: { 'x-api-key': t.keys.agentA.key },
      });
      expect(res.statusCode).toBe(500);
      const body = problem(res);
      expect(body).toMatchObject({ status: 500, code: 'internal-error' });
      expect(res.body).not.toMatch(/hunter2|secret\.ts|at /);
    });
  });

  describe('logs and correlation', () => {
    it('echoes the correlation id, or generates one', async () => {
      const given = await inject({
        method: 'GET',
        url: '/tickets/t-a1',
        headers: { 'x-api-key': t.keys.agentA.key, 'x-correlation-id': 'corr-123' },
      });
      expect(given.headers['x-correlation-id']).toBe('corr-123');
      const generated = await inject({
        method: 'GET',
        url: '/tickets/t-a1',
        headers: { 'x-api-key': t.keys.agentA.key },
      });
      expect(generated.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
      const onError = await inject({
        method: 'GET',
        url: '/nowhere',
        headers: { 'x-correlation-id': 'corr-404' },
      });
      expect(onError.headers['x-correlation-id']).toBe('corr-404');
    });

    it('logs request id, correlation id and ticket id as JSON, never the key', async () => {
      const key = t.keys.agentA.key;
      const res = await inject({
        method: 'GET',
        url: '/tickets/t-a1',
        headers: { 'x-api-key': key, authorization: `ApiKey ${key}`, 'x-correlation-id': 'corr-log-1' },
      });
      await inject({
        method: 'GET',
        url: '/tickets/t-a1',
        headers: { 'x-api-key': `${key}-wrong`, 'x-correlation-id': 'corr-log-2' },
      });
      const line = t.logs.find((l) => l['correlationId'] === 'corr-log-1' && l['res'] !== undefined);
      expect(line).toMatchObject({
        service: 'ticket-test',
        ticketId: 't-a1',
        reqId: res.headers['x-request-id'],
        req: { id: res.headers['x-request-id'], method: 'GET', url: '/tickets/t-a1' },
        res: { statusCode: 200 },
        msg: 'request completed',
      });
      // Request headers (credentials among them) are not part of the line at all.
      expect(line?.['req']).not.toHaveProperty('headers');
      expect(t.logs.some((l) => l['correlationId'] === 'corr-log-2')).toBe(true);
      for (const minted of Object.values<MintedApiKey>(t.keys))
        expect(t.rawLogs.join('\n')).not.toContain(minted.key);
    });

    it("puts the request's ids on what the service logs while handling it, after a body too", async () => {
      const get = await inject({
        method: 'GET',
        url: '/errors/boom',
        headers: { 'x-api-key': t.keys.agentA.key, 'x-correlation-id': 'corr-err-get' },
      });
      const post = await inject({
        method: 'POST',
        url: '/tickets/t-a1/errors/boom',
        headers: { 'x-api-key': t.keys.agentA.key, 'x-correlation-id': 'corr-err-post' },
        payload: { text: 'a note' },
      });
      expect([get.statusCode, post.statusCode]).toEqual([500, 500]);
      const errorLine = (correlationId: string) =>
        t.logs.find((l) => l['correlationId'] === correlationId && l['context'] === 'ProblemDetails');
      expect(errorLine('corr-err-get')).toMatchObject({
        level: 50,
        reqId: get.headers['x-request-id'],
        err: { message: expect.stringContaining('hunter2') as unknown },
      });
      expect(errorLine('corr-err-post')).toMatchObject({
        level: 50,
        reqId: post.headers['x-request-id'],
        ticketId: 't-a1',
      });
      for (const minted of Object.values<MintedApiKey>(t.keys))
        expect(t.rawLogs.join('\n')).not.toContain(minted.key);
    });

    it("puts the request's ids on a line the service logs deeper down only with LOG_REQUEST_CONTEXT", async () => {
      const flag = (app: TestApp, correlationId: string) =>
        app.app.inject({
          method: 'POST',
          url: '/tickets/t-a1/flag',
          headers: { 'x-api-key': app.keys.agentA.key, 'x-correlation-id': correlationId },
        });
      const flagged = (app: TestApp) => app.logs.find((l) => l['context'] === 'TicketTest');
      // Off (the default): the line is written, without the ids; the request's own line has them.
      const off = await flag(t, 'corr-flag-off');
      expect(off.statusCode).toBe(202);
      expect(flagged(t)).toMatchObject({ level: 40, msg: 'ticket t-a1 flagged for review' });
      expect(flagged(t)).not.toHaveProperty('reqId');
      expect(flagged(t)).not.toHaveProperty('correlationId');
      expect(t.logs.find((l) => l['correlationId'] === 'corr-flag-off')).toMatchObject({
        reqId: off.headers['x-request-id'],
        msg: 'request completed',
      });
      const on = await startTestApp({ LOG_REQUEST_CONTEXT: 'true' });
      try {
        const res = await flag(on, 'corr-flag-on');
        expect(res.statusCode).toBe(202);
        expect(flagged(on)).toMatchObject({
          level: 40,
          msg: 'ticket t-a1 flagged for review',
          reqId: res.headers['x-request-id'],
          correlationId: 'corr-flag-on',
          ticketId: 't-a1',
        });
      } finally {
        await on.app.close();
      }
    });
  });

  describe('OpenAPI', () => {
    it('serves an OpenAPI 3 document with the routes, the API-key scheme and the problem schema', async () => {
      const res = await inject({ method: 'GET', url: '/docs-json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json<{
        openapi: string;
        paths: Record<
          string,
          Record<
            string,
            { security?: unknown[]; responses: Record<string, { content?: Record<string, unknown> }> }
          >
        >;
        components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
        security: unknown[];
      }>();
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/tickets/{ticketId}',
          '/tickets/{ticketId}/notes',
          '/audit/verify',
          '/health/ready',
          '/metrics',
        ]),
      );
      expect(doc.components.securitySchemes['apiKey']).toEqual(
        expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }),
      );
      expect(doc.security).toEqual([{ apiKey: [] }]);
      expect(doc.components.schemas).toHaveProperty('ProblemDetails');
      expect(doc.components.schemas).toHaveProperty('AddNoteDto');
      const addNote = doc.paths['/tickets/{ticketId}/notes']?.['post'];
      expect(Object.keys(addNote?.responses ?? {})).toEqual(
        expect.arrayContaining(['400', '401', '403', '404', '413', '415', '500']),
      );
      expect(addNote?.responses['401']?.content).toHaveProperty(['application/problem+json']);
      expect(doc.paths['/health/ready']?.['get']?.security).toEqual([]);
    });

    it('serves the UI at /docs without a key', async () => {
      const res = await inject({ method: 'GET', url: '/docs' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
    });
  });

  describe('metrics', () => {
    it('exposes the HTTP request histogram by route pattern, without a key', async () => {
      await inject({ method: 'GET', url: '/tickets/t-a1', headers: { 'x-api-key': t.keys.agentA.key } });
      const res = await inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toMatch(
        /http_request_duration_seconds_bucket\{.*route="\/tickets\/:ticketId".*status_code="200"/,
      );
      expect(res.body).toMatch(
        /http_requests_total\{method="GET",route="\/tickets\/:ticketId",status_code="200"\} \d+/,
      );
      expect(res.body).not.toContain('t-a1');
    });

    it('keeps a registry per app', async () => {
      const other = await startTestApp();
      try {
        const res = await other.app.inject({ method: 'GET', url: '/metrics' });
        expect(res.body).not.toMatch(/route="\/tickets\/:ticketId"/);
      } finally {
        await other.app.close();
      }
    });
  });

  it('answers /health/live without a key', async () => {
    const res = await inject({ method: 'GET', url: '/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok' });
  });
});
