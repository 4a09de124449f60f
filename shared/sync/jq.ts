import type { loadJq as loadInlineJq } from 'jq-wasm/inline';
import type { KubeObject } from '../kube/object.ts';

type Jq = Awaited<ReturnType<typeof loadInlineJq>>;

// jq itself (jq 1.8, compiled to WebAssembly), so an expression means here
// what it means in jq and in Argo CD. The inline build carries its WASM
// inside the module, so bundles need no file next to them. Loaded the first
// time an application uses a jq expression (loadJq), so no other reconcile,
// and no function that never diffs, pays for its 1.3 MB at start; once
// loaded, every call is synchronous.
let loading: Promise<Jq> | undefined;
let jq: Jq | undefined;

export async function loadJq(): Promise<void> {
  loading ??= import('jq-wasm/inline').then((m) => m.loadJq());
  jq ??= await loading;
}

function engine(): Jq {
  if (!jq) throw new Error('jq is not loaded: await loadJq() before using jq expressions');
  return jq;
}

/** jq's exit code for an expression that does not compile. */
const COMPILE_ERROR = 3;

/** Argo CD's reading of a jqPathExpression: the paths it selects are deleted. */
function deletion(expression: string): string {
  return `del(${expression})`;
}

/** Why `expression` is not a jq path expression, or undefined when it compiles. */
export function jqCompileError(expression: string): string | undefined {
  const { exitCode, stderr } = engine().raw(null, deletion(expression), ['-n']);
  if (exitCode !== COMPILE_ERROR) return undefined;
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && line !== 'jq: 1 compile error')
    .join(' ');
}

/**
 * A copy of `object` without the paths `expression` selects. An expression
 * that fails on this object (it iterates over a field the object does not
 * have) selects nothing in it: rules are written for a kind, not for one
 * shape of it.
 */
export function deleteWithJq(object: KubeObject, expression: string): KubeObject {
  const jq = engine();
  try {
    const [result] = jq.json<KubeObject>(object, deletion(expression), ['-c']);
    return result && typeof result === 'object' ? result : object;
  } catch {
    return object;
  }
}
