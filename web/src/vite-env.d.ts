/// <reference types="vite/client" />

// eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- merges with Vite's interface
interface ImportMetaEnv {
  /** "hash" (default: /#/datasets/…) or "browser" (/datasets/…, needs the server's SPA fallback). */
  readonly VITE_ROUTER?: 'hash' | 'browser';
}
