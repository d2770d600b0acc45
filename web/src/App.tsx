import { lazy, Suspense } from 'react';
import { Link, Navigate, Route, Routes } from 'react-router';
import { AppShell } from './components/AppShell';
import { EmptyState } from './components/EmptyState';
import { Loading } from './components/Loading';
import { ChoosePasswordPage } from './features/auth/ChoosePasswordPage';
import { LoginPage } from './features/auth/LoginPage';
import { CHOOSE_PASSWORD_PATH } from './features/auth/paths';
import { RequireAuth, RequireRole } from './features/auth/RequireAuth';
import { SignupPage } from './features/auth/SignupPage';
import { DatasetsPage } from './features/datasets/DatasetsPage';

// The insights page carries ECharts; load it when it is first opened.
const DatasetPage = lazy(() => import('./features/dataset/DatasetPage'));
const MembersPage = lazy(() => import('./features/members/MembersPage'));
const ApiKeysPage = lazy(() => import('./features/apiKeys/ApiKeysPage'));
const AuditPage = lazy(() => import('./features/audit/AuditPage'));
const AccountPage = lazy(() => import('./features/account/AccountPage'));

function NotFound() {
  return (
    <div className="page">
      <EmptyState title="This page does not exist">
        <p>
          <Link to="/datasets">Go to your datasets</Link>
        </p>
      </EmptyState>
    </div>
  );
}

export function App() {
  return (
    <Suspense fallback={<Loading page />}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="/signup" element={<SignupPage />} />
        <Route path={CHOOSE_PASSWORD_PATH} element={<ChoosePasswordPage />} />
        <Route
          element={
            <RequireAuth>
              <AppShell />
            </RequireAuth>
          }
        >
          <Route index element={<Navigate to="/datasets" replace />} />
          <Route path="/datasets" element={<DatasetsPage />} />
          <Route path="/datasets/:id" element={<DatasetPage view="overview" />} />
          <Route path="/datasets/:id/explore" element={<DatasetPage view="explore" />} />
          <Route path="/account" element={<AccountPage />} />
          <Route
            path="/members"
            element={
              <RequireRole minimum="admin">
                <MembersPage />
              </RequireRole>
            }
          />
          <Route
            path="/api-keys"
            element={
              <RequireRole minimum="admin">
                <ApiKeysPage />
              </RequireRole>
            }
          />
          <Route
            path="/activity"
            element={
              <RequireRole minimum="admin">
                <AuditPage />
              </RequireRole>
            }
          />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
