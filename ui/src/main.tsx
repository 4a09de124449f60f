import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
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

function App() {
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
        <ThemeToggle />
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  );
}

applyStoredTheme();
render(<App />, document.getElementById('app')!);
