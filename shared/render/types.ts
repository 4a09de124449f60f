import type { KubeObject } from '../kube/object.ts';

/** One object out of the render stage, with where it came from for error messages. */
export interface RenderedObject {
  object: KubeObject;
  /** File path relative to the app directory (or the renderer's name) and the 0-based document index in it. */
  source: { file: string; index: number };
}
