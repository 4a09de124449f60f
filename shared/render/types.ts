import type { KubeObject } from '../kube/object.ts';

/** Where a manifest came from: a file of the application directory, or a renderer's output. */
export interface ManifestSource {
  /** Path relative to the application directory, or `kustomize build` / `helm template`. */
  file: string;
  /** 0-based document index within the file or output, empty documents included. */
  index: number;
  /** 0-based position inside a `List` document's `items`. */
  item?: number;
  /** For Helm output: the template named by the `# Source:` comment. */
  template?: string;
}

/** One object out of the render stage, with where it came from for error messages. */
export interface RenderedObject {
  object: KubeObject;
  source: ManifestSource;
}
