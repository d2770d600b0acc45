import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { getMe } from '../../api/auth';
import { toApiError, type ApiError } from '../../api/errors';
import { queryKeys } from '../../lib/queryKeys';
import { useAuth, useSession } from './useAuth';

/**
 * The organizations this sign-in can switch to (GET /me). After a login or a switch the cache
 * already holds them (AuthProvider); after a reload the refreshed session lists only its own.
 */
export function useOrganizations() {
  const { orgId } = useSession();
  return useQuery({
    queryKey: queryKeys.me(orgId),
    queryFn: ({ signal }) => getMe(signal),
    select: (me) => me.organizations ?? [],
    staleTime: 5 * 60_000,
  });
}

/**
 * Switch to another organization, then open its datasets: the page on screen (a dataset, the
 * members) belonged to the old one.
 */
export function useSwitchOrganization() {
  const { switchOrganization } = useAuth();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const run = async (organization: string) => {
    setBusy(true);
    setError(null);
    try {
      await switchOrganization(organization);
      await navigate('/datasets');
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setBusy(false);
    }
  };

  return { run, busy, error };
}
