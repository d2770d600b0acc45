import { requestJson } from './http';
import type { AuditEvent, Page } from './types';

export function listAudit(
  params: { limit?: number; cursor?: string; action?: string } = {},
  signal?: AbortSignal,
): Promise<Page<AuditEvent>> {
  return requestJson<Page<AuditEvent>>('/audit', { query: params, signal });
}
