import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createApiKey, listApiKeys, revokeApiKey } from '../../api/apiKeys';
import type { ApiKeyScope } from '../../api/types';
import { queryKeys } from '../../lib/queryKeys';
import { useSession } from '../auth/useAuth';

export function useApiKeys() {
  const { orgId } = useSession();
  return useQuery({
    queryKey: queryKeys.apiKeys(orgId),
    queryFn: ({ signal }) => listApiKeys(signal),
  });
}

export function useCreateApiKey() {
  const { orgId } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { name: string; scopes: ApiKeyScope[] }) => createApiKey(input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys(orgId) }),
  });
}

export function useRevokeApiKey() {
  const { orgId } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => revokeApiKey(id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys(orgId) }),
  });
}
