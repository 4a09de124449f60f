const tails = new Map<string, Promise<unknown>>();

/**
 * Runs `task` after every earlier task with the same key has settled. One
 * process fetching one repository twice at once would interleave writes to the
 * same object store and shallow file.
 */
export async function withLock<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  const run = previous.then(task, task);
  const tail = run.catch(() => undefined);
  tails.set(key, tail);
  try {
    return await run;
  } finally {
    if (tails.get(key) === tail) tails.delete(key);
  }
}
