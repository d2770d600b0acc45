// The one typed client of the InsightStream API: a function per endpoint.
export * from './types';
export * from './errors';
export {
  getAccessToken,
  hasAccessToken,
  onPasswordChangeRequired,
  onSessionChange,
  refreshSession,
  setSession,
} from './http';
export * from './auth';
export * from './datasets';
export * from './insights';
export * from './members';
export * from './apiKeys';
export * from './audit';
export * from './snapshot';
