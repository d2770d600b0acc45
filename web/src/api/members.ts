import { requestJson, requestVoid } from './http';
import type { Member, NewMember, Page, Role } from './types';

export function listMembers(signal?: AbortSignal): Promise<Page<Member>> {
  return requestJson<Page<Member>>('/users', { signal });
}

export function addMember(input: NewMember): Promise<Member> {
  return requestJson<Member>('/users', { method: 'POST', json: input });
}

export function changeMember(id: string, change: { role?: Role; name?: string }): Promise<Member> {
  return requestJson<Member>(`/users/${encodeURIComponent(id)}`, { method: 'PATCH', json: change });
}

export function removeMember(id: string): Promise<void> {
  return requestVoid(`/users/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/**
 * Set a temporary password for a member (not yourself): their sessions end, and at the next
 * login they must choose a new one before anything else.
 */
export function resetMemberPassword(id: string, password: string): Promise<void> {
  return requestVoid(`/users/${encodeURIComponent(id)}/password`, {
    method: 'POST',
    json: { password },
  });
}
