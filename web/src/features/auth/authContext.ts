import { createContext } from 'react';
import type { ApiError } from '../../api/errors';
import type {
  ChangePasswordInput,
  LoginInput,
  Organization,
  SignupInput,
  User,
} from '../../api/types';

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
  /** Move this sign-in to another of its organizations; the cached data of the old one goes. */
  switchOrganization: (organization: string) => Promise<void>;
  /** Change your own password; this session goes on, every other one ends. */
  changePassword: (input: ChangePasswordInput) => Promise<void>;
};

export const AuthContext = createContext<AuthContextValue | null>(null);
