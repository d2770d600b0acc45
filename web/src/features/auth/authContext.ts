import { createContext } from 'react';
import type { ApiError } from '../../api/errors';
import type { LoginInput, Organization, SignupInput, User } from '../../api/types';

export type AuthState =
  | { status: 'loading' }
  | { status: 'anonymous'; expired: boolean; error?: ApiError }
  | { status: 'authenticated'; user: User; organization: Organization };

export type AuthContextValue = {
  state: AuthState;
  login: (input: LoginInput) => Promise<void>;
  signup: (input: SignupInput) => Promise<void>;
  logout: () => Promise<void>;
  retry: () => void;
};

export const AuthContext = createContext<AuthContextValue | null>(null);
