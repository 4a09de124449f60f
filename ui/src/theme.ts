/** `light` or `dark` as chosen with the toggle; absent: the system's (prefers-color-scheme). */
export type Theme = 'light' | 'dark';

const KEY = 'driftless-theme';

export function storedTheme(): Theme | undefined {
  const value = localStorage.getItem(KEY);
  return value === 'light' || value === 'dark' ? value : undefined;
}

/** The theme in force: the stored choice, or the system's. */
export function currentTheme(): Theme {
  return storedTheme() ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
}

/** Sets the page's theme attribute (styles.css keys its colours on it) from the stored choice. */
export function applyStoredTheme(): void {
  const theme = storedTheme();
  if (theme) document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

export function chooseTheme(theme: Theme): void {
  localStorage.setItem(KEY, theme);
  applyStoredTheme();
}
