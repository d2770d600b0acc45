import type { Role } from '../../api/types';

const RANK: Record<Role, number> = { viewer: 0, analyst: 1, admin: 2, owner: 3 };

/** owner ⊃ admin ⊃ analyst ⊃ viewer */
export function hasRole(role: Role | undefined, minimum: Role): boolean {
  if (!role) return false;
  return RANK[role] >= RANK[minimum];
}

/** May upload, reprocess and delete datasets. */
export const canChangeData = (role: Role | undefined) => hasRole(role, 'analyst');
/** May manage members (analysts and viewers) and API keys, and read the audit log. */
export const canAdminister = (role: Role | undefined) => hasRole(role, 'admin');

/** The roles this person may give or take away. Admins manage analysts and viewers; owners everyone. */
export function assignableRoles(role: Role | undefined): Role[] {
  if (role === 'owner') return ['owner', 'admin', 'analyst', 'viewer'];
  if (role === 'admin') return ['analyst', 'viewer'];
  return [];
}

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  owner: 'Everything, including managing admins',
  admin: 'Manage members and API keys',
  analyst: 'Upload, reprocess and delete datasets',
  viewer: 'Read datasets and insights',
};
