import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  addMember,
  changeMember,
  listMembers,
  removeMember,
  resetMemberPassword,
} from '../../api/members';
import type { NewMember, Role } from '../../api/types';
import { queryKeys } from '../../lib/queryKeys';
import { useSession } from '../auth/useAuth';

export function useMembers() {
  const { orgId } = useSession();
  return useQuery({
    queryKey: queryKeys.members(orgId),
    queryFn: ({ signal }) => listMembers(signal),
  });
}

function useInvalidateMembers() {
  const { orgId } = useSession();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: queryKeys.members(orgId) });
}

export function useAddMember() {
  const invalidate = useInvalidateMembers();
  return useMutation({ mutationFn: (input: NewMember) => addMember(input), onSuccess: invalidate });
}

export function useChangeRole() {
  const invalidate = useInvalidateMembers();
  return useMutation({
    mutationFn: ({ id, role }: { id: string; role: Role }) => changeMember(id, { role }),
    onSettled: invalidate,
  });
}

export function useRemoveMember() {
  const invalidate = useInvalidateMembers();
  return useMutation({ mutationFn: (id: string) => removeMember(id), onSuccess: invalidate });
}

/** Nothing in the list changes (the API keeps no trace of it there), so nothing to refetch. */
export function useResetPassword() {
  return useMutation({
    mutationFn: ({ id, password }: { id: string; password: string }) =>
      resetMemberPassword(id, password),
  });
}
