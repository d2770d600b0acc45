import { describe, expect, it } from 'vitest';
import {
  ApiError,
  fieldName,
  parseProblem,
  parseRetryAfter,
  problemToError,
  toApiError,
} from './errors';

function problemResponse(
  body: unknown,
  status: number,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/problem+json', ...headers },
  });
}

describe('parseProblem', () => {
  it('reads an RFC 9457 problem with validation errors', async () => {
    const error = await parseProblem(
      problemResponse(
        {
          type: 'https://insightstream.dev/problems/invalid-request',
          title: 'The request is invalid',
          status: 400,
          detail: '2 fields are invalid',
          instance: '/api/v1/auth/signup',
          request_id: 'req_abc',
          errors: [
            { field: '/email', message: 'is not a valid e-mail address' },
            { field: '/password', message: 'must be 10 to 1024 characters' },
          ],
        },
        400,
      ),
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(400);
    expect(error.title).toBe('The request is invalid');
    expect(error.detail).toBe('2 fields are invalid');
    expect(error.type).toBe('https://insightstream.dev/problems/invalid-request');
    expect(error.code).toBe('invalid-request');
    expect(error.requestId).toBe('req_abc');
    expect(error.instance).toBe('/api/v1/auth/signup');
    expect(error.fieldErrors).toEqual([
      { field: 'email', message: 'is not a valid e-mail address' },
      { field: 'password', message: 'must be 10 to 1024 characters' },
    ]);
    expect(error.fieldError('email')).toBe('is not a valid e-mail address');
    expect(error.fieldError('organization')).toBeUndefined();
  });

  it('keeps plain field names (query parameters) as they are', async () => {
    const error = await parseProblem(
      problemResponse(
        {
          type: 'https://insightstream.dev/problems/invalid-request',
          title: 'The request is invalid',
          status: 400,
          detail: 'measure: not a measure',
          errors: [{ field: 'measure', message: 'not a measure' }],
        },
        400,
      ),
    );
    expect(error.fieldError('measure')).toBe('not a measure');
  });

  it('takes the request id from the header when the body has none', async () => {
    const error = await parseProblem(
      problemResponse(
        { type: 'about:blank', title: 'Not found', status: 404, detail: 'dataset not found' },
        404,
        {
          'X-Request-Id': 'req_header',
        },
      ),
    );
    expect(error.requestId).toBe('req_header');
    expect(error.fieldErrors).toEqual([]);
  });

  it('turns a non-JSON error (a proxy page) into a readable error', async () => {
    const error = await parseProblem(
      new Response('<html>Bad gateway</html>', {
        status: 502,
        headers: { 'Content-Type': 'text/html' },
      }),
    );
    expect(error.status).toBe(502);
    expect(error.title).toBe('The server is unavailable');
    expect(error.detail).toContain('Bad gateway');
  });

  it('survives an empty body', async () => {
    const error = await parseProblem(new Response(null, { status: 500 }));
    expect(error.status).toBe(500);
    expect(error.title).toBe('Server error');
    expect(error.detail).toBe('');
  });

  it('ignores malformed errors entries', () => {
    const error = problemToError(
      {
        title: 'x',
        status: 400,
        errors: [null, 3, { field: '/a' }, { field: '/b', message: 'bad' }],
      },
      400,
    );
    expect(error.fieldErrors).toEqual([{ field: 'b', message: 'bad' }]);
  });
});

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-28T10:00:00Z');
    expect(parseRetryAfter('4', now)).toBe(4);
    expect(parseRetryAfter(' 900 ', now)).toBe(900);
    expect(parseRetryAfter('Sat, 28 Nov 2026 10:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Sat, 28 Nov 2026 09:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('travels with the problem it came with', async () => {
    const throttled = await parseProblem(
      problemResponse(
        {
          type: 'https://insightstream.dev/problems/login-throttled',
          title: 'Too many requests',
          status: 429,
          detail: 'too many failed logins; retry in 16 s',
        },
        429,
        { 'Retry-After': '16' },
      ),
    );
    expect(throttled.code).toBe('login-throttled');
    expect(throttled.retryAfter).toBe(16);
    const plain = await parseProblem(problemResponse({ title: 'x', status: 400 }, 400));
    expect(plain.retryAfter).toBeUndefined();
  });
});

describe('fieldName', () => {
  it('turns JSON pointers into dotted names', () => {
    expect(fieldName('/email')).toBe('email');
    expect(fieldName('/items/0/name')).toBe('items.0.name');
    expect(fieldName('/a~1b')).toBe('a/b');
    expect(fieldName('measure')).toBe('measure');
  });
});

describe('toApiError', () => {
  it('wraps anything thrown', () => {
    expect(toApiError(new Error('boom')).detail).toBe('boom');
    expect(toApiError('x').title).toBe('Something went wrong');
    const original = new ApiError({ status: 403, title: 'Not allowed' });
    expect(toApiError(original)).toBe(original);
  });
});
