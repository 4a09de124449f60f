export { fetchedCharts, render, renderChart, type RenderOptions } from './render.ts';
export { fetchOnce, type ChartFetcher, type FetchedChart } from './charts.ts';
export type { ScratchLimits } from './scratch-copy.ts';
export { detectRenderer, type Renderer } from './detect.ts';
export type { ManifestSource, RenderedObject } from './types.ts';
export type { ValidationLimits } from './validate.ts';
export type { ToolLimits } from './run-tool.ts';
export { RenderSpec, type DirectorySpec, type HelmSpec, type RenderSpecInput } from './spec.ts';
export {
  describeSource,
  RenderError,
  RenderFailure,
  ToolNotFoundError,
  ToolRunError,
  TOOL_ENV,
  type RenderErrorCode,
  type RenderIssue,
  type Tool,
} from './errors.ts';
