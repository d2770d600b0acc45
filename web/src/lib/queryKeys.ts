// Query keys: every key starts with the organization (tenant) id, so two sessions never
// share cached data; insight keys carry the dataset id and the version they were computed for.

export const queryKeys = {
  org: (orgId: string) => ['org', orgId] as const,
  /** GET /me: the signed-in member and the organizations this sign-in can switch to. */
  me: (orgId: string) => ['org', orgId, 'me'] as const,
  datasets: (orgId: string) => ['org', orgId, 'datasets'] as const,
  dataset: (orgId: string, datasetId: string) => ['org', orgId, 'dataset', datasetId] as const,
  /** The newest ready version's schema; keyed by the dataset's latest version and status. */
  latestSchema: (orgId: string, datasetId: string, latestVersion: number, status: string) =>
    ['org', orgId, 'dataset', datasetId, 'latest-schema', latestVersion, status] as const,
  insight: (orgId: string, datasetId: string, version: number, kind: string, params?: object) =>
    ['org', orgId, 'dataset', datasetId, 'v', version, kind, params ?? {}] as const,
  errors: (orgId: string, datasetId: string, version: number) =>
    ['org', orgId, 'dataset', datasetId, 'v', version, 'errors'] as const,
  members: (orgId: string) => ['org', orgId, 'members'] as const,
  apiKeys: (orgId: string) => ['org', orgId, 'api-keys'] as const,
  audit: (orgId: string, action: string) => ['org', orgId, 'audit', action] as const,
};
