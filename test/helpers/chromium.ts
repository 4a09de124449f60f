import { execFileSync } from 'node:child_process';

/** Debian's Chromium, which scripts/setup.sh installs: playwright-core brings no browser. */
export function chromiumPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'chromium is not on PATH: scripts/setup.sh installs it (apt-get install chromium)',
    );
  }
}
