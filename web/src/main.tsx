import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { AuthProvider } from './features/auth/AuthProvider';
import { createQueryClient } from './lib/queryClient';
import { AppRouter } from './components/AppRouter';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');

const queryClient = createQueryClient();

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <AppRouter>
        <AuthProvider>
          <App />
        </AuthProvider>
      </AppRouter>
    </QueryClientProvider>
  </StrictMode>,
);
