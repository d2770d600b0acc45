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
