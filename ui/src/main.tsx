import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { setTransport } from './api/client.ts';
import { loadConfig, type UiConfig } from './api/config.ts';
import { currentToken, finishSignIn, forgetTokens, signOut, startSignIn } from './auth/oidc.ts';
import './styles.css';
import { AppList } from './pages/app-list.tsx';
import { AppPage } from './pages/app-page.tsx';
import { HistoryPage } from './pages/history-page.tsx';
import { RolloutPage } from './pages/rollout-page.tsx';
import { href, useRoute, type Route } from './router.ts';
import { applyStoredTheme, chooseTheme, currentTheme } from './theme.ts';

function Page({ route }: { route: Route }) {
  if (route.page === 'app') return <AppPage name={route.name} />;
  if (route.page === 'history') return <HistoryPage name={route.name} />;
  if (route.page === 'rollout') return <RolloutPage name={route.name} />;
  return <AppList />;
}

function ThemeToggle() {
  const [theme, setTheme] = useState(currentTheme);
  // Without a stored choice the system's theme rules, and it may change while the page is open.
  useEffect(() => {
    const media = matchMedia('(prefers-color-scheme: dark)');
    const onChange = () => setTheme(currentTheme());
    media.addEventListener('change', onChange);
    return () => media.removeEventListener('change', onChange);
  }, []);
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      class="theme-toggle"
      onClick={() => {
        chooseTheme(next);
        setTheme(next);
      }}
    >
      Switch to {next} theme
    </button>
  );
}

/** `/` focuses the search field, as in most consoles; typing in a field is left alone. */
function useSearchShortcut() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (e.key !== '/' || target.closest('input, select, textarea, dialog')) return;
      const search = document.getElementById('search');
      if (!search) return;
      e.preventDefault();
      search.focus();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
}

function SignOut({ config }: { config: UiConfig }) {
  if (config.mode !== 'oidc') return null;
  return (
    <button type="button" onClick={() => void signOut(config.oidc)}>
      Sign out
    </button>
  );
}

function App({ config }: { config: UiConfig }) {
  const route = useRoute();
  useSearchShortcut();
  useEffect(() => {
    document.title =
      route.page === 'list' ? 'Applications · Driftless' : `${route.name} · Driftless`;
    document.getElementById('main')?.focus();
  }, [route]);
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}
      >
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href({ page: 'list' })}>
          Driftless
        </a>
        <span class="top-actions">
          <ThemeToggle />
          <SignOut config={config} />
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  );
}

/**
 * Beside serve, the API is this origin and a 401 means the session ended:
 * back to /login. On AWS (a /config.json), the browser signs in at the
 * team's OIDC provider first and calls the API with its ID token; a 401
 * there drops the token, and the next action signs in again (an automatic
 * redirect could loop on a token the API keeps refusing).
 */
async function start(root: HTMLElement): Promise<void> {
  applyStoredTheme();
  const config = await loadConfig();
  if (config.mode === 'local')
    setTransport({ base: '', onUnauthorized: () => location.assign('/login') });
  else {
    await finishSignIn(config.oidc);
    if (!(await currentToken(config.oidc))) return startSignIn(config.oidc);
    setTransport({
      base: config.apiUrl.replace(/\/+$/, ''),
      token: async () => {
        const token = await currentToken(config.oidc);
        if (!token) await startSignIn(config.oidc);
        return token;
      },
      onUnauthorized: forgetTokens,
    });
  }
  render(<App config={config} />, root);
}

const root = document.getElementById('app')!;
start(root).catch((err: Error) =>
  render(
    <p class="error" role="alert">
      {err.message}
    </p>,
    root,
  ),
);
