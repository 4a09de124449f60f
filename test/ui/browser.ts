import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { repoRoot } from '../harness/tools.ts';

export const IMAGES = join(repoRoot, 'docs', 'images');

/** Fails with every serious or critical axe violation of the page as it is now. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
  expect(bad, `axe on ${what}`).toEqual([]);
}

/**
 * Checks the page in both themes (axe's contrast rules differ per theme) and
 * saves a screenshot of each into docs/images, which the README and docs/ui.md show.
 */
export async function checkBothThemes(page: Page, name: string): Promise<void> {
  mkdirSync(IMAGES, { recursive: true });
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await expectAccessible(page, `${name} (${colorScheme})`);
    await page.screenshot({ path: join(IMAGES, `ui-${name}-${colorScheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}
