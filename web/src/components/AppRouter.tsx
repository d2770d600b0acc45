import type { ReactNode } from 'react';
import { BrowserRouter, HashRouter } from 'react-router';
import { adoptHashPath, ROUTER_MODE } from '../lib/routing';

type AppRouterProps = { children: ReactNode };

/** Hash URLs by default; history URLs when built with VITE_ROUTER=browser (see lib/routing.ts). */
export function AppRouter({ children }: AppRouterProps) {
  if (ROUTER_MODE === 'browser') {
    adoptHashPath();
    return <BrowserRouter>{children}</BrowserRouter>;
  }
  return <HashRouter>{children}</HashRouter>;
}
