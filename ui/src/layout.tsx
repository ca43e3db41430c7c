/** Header (navigation, namespace, who is signed in), then the page of the current path. */
import { Component, Suspense, useEffect, type ReactNode } from 'react';
import { signOut } from './auth/session';
import { useSession } from './auth/session-context';
import { NamespaceSelect } from './components/namespace-select';
import { ErrorState, Loading } from './components/states';
import { Link, matchPath, navigate, useLocation } from './router';
import { HOME, ROUTES } from './routes';

class PageErrorBoundary extends Component<{ children: ReactNode; path: string }, { error: unknown }> {
  override state = { error: null as unknown };
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  override componentDidUpdate(prev: { path: string }) {
    if (prev.path !== this.props.path && this.state.error) this.setState({ error: null });
  }
  override render() {
    return this.state.error ? <ErrorState error={this.state.error} retry={() => window.location.reload()} /> : this.props.children;
  }
}

export function Layout() {
  const { pathname } = useLocation();
  const session = useSession();
  useEffect(() => {
    if (pathname === '/') navigate(HOME, { replace: true });
  }, [pathname]);

  let found: { route: (typeof ROUTES)[number]; params: Record<string, string> } | null = null;
  for (const route of ROUTES) {
    const params = matchPath(route.path, pathname);
    if (params) {
      found = { route, params };
      break;
    }
  }
  const title = found ? `${found.route.title} · OpenClaw` : 'OpenClaw';
  useEffect(() => {
    document.title = title;
  }, [title]);
  const Page = found?.route.page;

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to={HOME} className="brand">
          OpenClaw
        </Link>
        <nav aria-label="Main">
          <ul>
            {ROUTES.filter((r) => r.nav).map((r) => {
              const current = pathname === r.path || pathname.startsWith(`${r.path}/`);
              return (
                <li key={r.path}>
                  <Link to={r.path} aria-current={current ? 'page' : undefined}>
                    {r.nav}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="who">
          <NamespaceSelect />
          <span className="role" title={`${session.whoami.kind} ${session.whoami.principal}`}>
            {session.whoami.role}
          </span>
          <button type="button" className="small" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <PageErrorBoundary path={pathname}>
          <Suspense fallback={<Loading what="Loading the page" />}>
            {Page && found ? (
              <Page key={`${session.namespace}:${found.route.path}:${JSON.stringify(found.params)}`} params={found.params} />
            ) : pathname === '/' ? null : (
              <ErrorState error={new Error(`No page at ${pathname}`)} />
            )}
          </Suspense>
        </PageErrorBoundary>
      </main>
    </>
  );
}
