import { requestJson, requestVoid } from './http';
import type { ApiKey, ApiKeyScope, Page } from './types';

export function listApiKeys(signal?: AbortSignal): Promise<Page<ApiKey>> {
  return requestJson<Page<ApiKey>>('/api-keys', { signal });
}

/** Create a key; the answer's `key` is the secret, shown this once only. */
export function createApiKey(input: { name: string; scopes: ApiKeyScope[] }): Promise<ApiKey> {
  return requestJson<ApiKey>('/api-keys', { method: 'POST', json: input });
}

export function revokeApiKey(id: string): Promise<void> {
  return requestVoid(`/api-keys/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
