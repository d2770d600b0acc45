// RFC 9457 problem details → ApiError.

export type FieldError = {
  /** The field name as the form knows it ("email"), from a JSON pointer ("/email") or a name. */
  field: string;
  message: string;
};

type ApiErrorInit = {
  status: number;
  title: string;
  detail?: string;
  type?: string;
  requestId?: string;
  instance?: string;
  fieldErrors?: FieldError[];
  retryAfter?: number | undefined;
};

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  readonly requestId: string | undefined;
  readonly instance: string | undefined;
  readonly fieldErrors: FieldError[];
  /** Seconds to wait before trying again, from Retry-After (429, 503); undefined without one. */
  readonly retryAfter: number | undefined;

  constructor(init: ApiErrorInit) {
    super(init.detail ? `${init.title}: ${init.detail}` : init.title);
    this.name = 'ApiError';
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail ?? '';
    this.type = init.type ?? 'about:blank';
    this.requestId = init.requestId;
    this.instance = init.instance;
    this.fieldErrors = init.fieldErrors ?? [];
    this.retryAfter = init.retryAfter;
  }

  /** The last path segment of the problem type, e.g. "not-ready". */
  get code(): string {
    const parts = this.type.split('/');
    return parts[parts.length - 1] ?? this.type;
  }

  /** The message for one field, if the server named it. */
  fieldError(field: string): string | undefined {
    return this.fieldErrors.find((e) => e.field === field)?.message;
  }
}

/** A network failure (no HTTP answer at all). */
export function networkError(cause: unknown): ApiError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new ApiError({
    status: 0,
    title: 'Cannot reach the server',
    detail: `Check your connection and try again (${detail}).`,
    type: 'network-error',
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** "/email" → "email", "/items/0/name" → "items.0.name", "measure" → "measure". */
export function fieldName(pointer: string): string {
  const trimmed = pointer.startsWith('#') ? pointer.slice(1) : pointer;
  const parts = trimmed
    .split('/')
    .filter((p) => p !== '')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return parts.join('.');
}

const STATUS_TITLES: Record<number, string> = {
  400: 'The request is invalid',
  401: 'Authentication required',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'The file is too large',
  415: 'Unsupported content type',
  429: 'Too many requests',
  500: 'Server error',
  502: 'The server is unavailable',
  503: 'The server is unavailable',
  504: 'The server did not answer in time',
};

/**
 * Retry-After (RFC 9110 §10.2.3) in whole seconds: delay-seconds, or an HTTP date counted from
 * now (rounded up, never negative). Undefined when absent or unreadable.
 */
export function parseRetryAfter(
  header: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** Build an ApiError from a parsed problem body (or anything else the server sent). */
export function problemToError(
  body: unknown,
  status: number,
  requestIdHeader?: string | null,
  retryAfter?: number,
): ApiError {
  const fallbackTitle = STATUS_TITLES[status] ?? `HTTP ${status}`;
  if (!isRecord(body)) {
    return new ApiError({
      status,
      title: fallbackTitle,
      detail: typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 500) : '',
      requestId: requestIdHeader ?? undefined,
      retryAfter,
    });
  }
  const fieldErrors: FieldError[] = [];
  if (Array.isArray(body.errors)) {
    for (const item of body.errors as unknown[]) {
      if (!isRecord(item)) continue;
      const field = str(item.field) ?? '';
      const message = str(item.message) ?? '';
      if (message) fieldErrors.push({ field: fieldName(field), message });
    }
  }
  return new ApiError({
    status: typeof body.status === 'number' ? body.status : status,
    title: str(body.title) ?? fallbackTitle,
    detail: str(body.detail),
    type: str(body.type),
    requestId: str(body.request_id) ?? requestIdHeader ?? undefined,
    instance: str(body.instance),
    fieldErrors,
    retryAfter,
  });
}

/** Read an error response (problem+json, JSON or text) into an ApiError. */
export async function parseProblem(response: Response): Promise<ApiError> {
  const requestId = response.headers.get('x-request-id');
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  const contentType = response.headers.get('content-type') ?? '';
  let text = '';
  try {
    text = await response.text();
  } catch {
    text = '';
  }
  if (/json/i.test(contentType) || text.trimStart().startsWith('{')) {
    try {
      return problemToError(JSON.parse(text) as unknown, response.status, requestId, retryAfter);
    } catch {
      // fall through to the text form
    }
  }
  return problemToError(text, response.status, requestId, retryAfter);
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/** Any thrown value as an ApiError, for display. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof Error) {
    return new ApiError({ status: 0, title: 'Something went wrong', detail: error.message });
  }
  return new ApiError({ status: 0, title: 'Something went wrong', detail: String(error) });
}
