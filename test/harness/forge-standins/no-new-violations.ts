import { afterEach, beforeEach, expect } from 'vitest';

/**
 * Fails each test after which the stand-in holds a violation the test
 * added, so one bad request fails its own test and not every later one.
 */
export function expectNoNewViolations(standin: () => { violations(): string[] }): void {
  let before = 0;
  beforeEach(() => {
    before = standin().violations().length;
  });
  afterEach(() => {
    expect(standin().violations().slice(before)).toEqual([]);
  });
}
