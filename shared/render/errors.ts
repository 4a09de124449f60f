import type { ManifestSource } from './types.ts';

export function describeSource(source: ManifestSource): string {
  const item = source.item === undefined ? '' : `, item ${source.item}`;
  const template = source.template ? ` (template ${source.template})` : '';
  return `${source.file}, document ${source.index}${item}${template}`;
}

/**
 * `file#index`, and for Helm output the chart's template first
 * (`templates/deployment.yaml (helm template#3)`), as a person looks for it.
 */
export function locationOf(source: ManifestSource): string {
  const at = `${source.file}#${source.index}`;
  return source.template ? `${source.template} (${at})` : at;
}

export interface RenderIssue {
  /** Absent for problems of the whole output, such as too many objects. */
  source?: ManifestSource;
  message: string;
}

export type RenderErrorCode =
  | 'INVALID_MANIFESTS'
  | 'OUTSIDE_CHECKOUT'
  | 'REMOTE_RESOURCE'
  | 'CHART_DEPENDENCY'
  | 'HELM_CHARTS_DISABLED'
  | 'TOOL_NOT_FOUND'
  | 'TOOL_FAILED'
  | 'TOOL_TIMEOUT'
  | 'TOOL_OUTPUT_LIMIT';

/** Anything that stops the render stage; `code` says which. */
export class RenderFailure extends Error {
  readonly code: RenderErrorCode;
  constructor(code: RenderErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

const LISTED_ISSUES = 20;

/** Every problem found in the manifests, reported together so one run shows them all. */
export class RenderError extends RenderFailure {
  readonly issues: RenderIssue[];
  constructor(issues: RenderIssue[]) {
    const lines = issues
      .slice(0, LISTED_ISSUES)
      .map((i) => `  - ${i.source ? `${describeSource(i.source)}: ` : ''}${i.message}`);
    if (issues.length > LISTED_ISSUES)
      lines.push(`  ... and ${issues.length - LISTED_ISSUES} more`);
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(
      'INVALID_MANIFESTS',
      `invalid manifests, ${count}; nothing was applied:\n${lines.join('\n')}`,
    );
    this.issues = issues;
  }
}

export type Tool = 'kustomize' | 'helm';

export const TOOL_ENV: Record<Tool, string> = {
  kustomize: 'DRIFTLESS_KUSTOMIZE',
  helm: 'DRIFTLESS_HELM',
};

export class ToolNotFoundError extends RenderFailure {
  readonly tool: Tool;
  readonly binary: string;
  constructor(tool: Tool, binary: string) {
    super(
      'TOOL_NOT_FOUND',
      `${tool} binary not found (tried ${binary}): set ${TOOL_ENV[tool]} to its path, pass binaries.${tool}, or put it on PATH`,
    );
    this.tool = tool;
    this.binary = binary;
  }
}

/** The tool ran and failed; `stderr` is what it said (its tail, when long). */
export class ToolRunError extends RenderFailure {
  readonly tool: Tool;
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(
    code: 'TOOL_FAILED' | 'TOOL_TIMEOUT' | 'TOOL_OUTPUT_LIMIT',
    tool: Tool,
    detail: string,
    exitCode: number | null,
    stderr: string,
  ) {
    const said = stderr.trim() ? `:\n${stderr.trim()}` : '';
    super(code, `${tool} ${detail}${said}`);
    this.tool = tool;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}
