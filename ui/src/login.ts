import './styles.css';
import { applyStoredTheme } from './theme.ts';

// The one-time code arrives in the fragment (driftless serve prints
// /login#CODE): browsers send no fragment to any server, in no request line
// and no Referer. It is cleared from the address bar before anything else.
applyStoredTheme();
const code = decodeURIComponent(location.hash.slice(1));
history.replaceState(null, '', '/login');

const status = document.getElementById('status')!;
const form = document.getElementById('form') as HTMLFormElement;

/** Trades a code or the secret for a session cookie; the API's message when refused. */
async function signIn(body: { code: string } | { secret: string }): Promise<string | undefined> {
  const response = await fetch('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.ok) return undefined;
  const answer = (await response.json().catch(() => ({}))) as { message?: string };
  return answer.message ?? `sign-in failed (HTTP ${response.status})`;
}

function showForm(message: string): void {
  status.textContent = message;
  form.hidden = false;
  (document.getElementById('secret') as HTMLInputElement).focus();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const secret = (document.getElementById('secret') as HTMLInputElement).value.trim();
  status.textContent = 'Signing in…';
  void signIn({ secret }).then((refused) => (refused ? showForm(refused) : location.replace('/')));
});

if (code)
  void signIn({ code }).then((refused) => (refused ? showForm(refused) : location.replace('/')));
else showForm('Not signed in.');
