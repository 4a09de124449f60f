import { loadJq } from 'jq-wasm/inline';
import type { KubeObject } from '../kube/object.ts';

// jq itself (jq 1.8, compiled to WebAssembly), so an expression means here
// what it means in jq and in Argo CD. The inline build carries its WASM
// inside the module, so bundles need no file next to them. It is loaded
// once, at import, because configuration is validated synchronously (a zod
// refinement) and every call after loading is synchronous.
const jq = await loadJq();

/** jq's exit code for an expression that does not compile. */
const COMPILE_ERROR = 3;

/** Argo CD's reading of a jqPathExpression: the paths it selects are deleted. */
function deletion(expression: string): string {
  return `del(${expression})`;
}

/** Why `expression` is not a jq path expression, or undefined when it compiles. */
export function jqCompileError(expression: string): string | undefined {
  const { exitCode, stderr } = jq.raw(null, deletion(expression), ['-n']);
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
  try {
    const [result] = jq.json<KubeObject>(object, deletion(expression), ['-c']);
    return result && typeof result === 'object' ? result : object;
  } catch {
    return object;
  }
}
