import { parseAllDocuments } from 'yaml';
import type { RenderIssue } from './errors.ts';
import type { ManifestSource } from './types.ts';

/** A parsed document (or `List` item) not yet validated as a Kubernetes object. */
export interface Candidate {
  value: unknown;
  source: ManifestSource;
}

export interface Parsed {
  candidates: Candidate[];
  issues: RenderIssue[];
}

const HELM_SOURCE = /^\s*Source:\s*(\S+)/m;

function isListDocument(value: unknown): value is { kind: string; items: unknown[] } {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, items } = value as { kind?: unknown; items?: unknown };
  return typeof kind === 'string' && kind.endsWith('List') && Array.isArray(items);
}

/**
 * Splits YAML (or JSON, which is YAML) into documents: empty documents are
 * skipped but keep their index, and `List` kinds (`kind: List`, `ConfigMapList`, ...)
 * are flattened into their items, as kubectl does.
 */
export function parseDocuments(text: string, file: string): Parsed {
  const candidates: Candidate[] = [];
  const issues: RenderIssue[] = [];
  // YAML 1.2 core schema plus `<<` merge keys, which the Go YAML library Kubernetes uses accepts.
  const documents = parseAllDocuments(text, { merge: true, prettyErrors: false });
  const list = Array.isArray(documents) ? documents : [documents];
  list.forEach((document, index) => {
    const source: ManifestSource = { file, index };
    // After a `---` line the comment belongs to the document's root node, not the document.
    const comment = document.commentBefore ?? document.contents?.commentBefore;
    const template = comment ? HELM_SOURCE.exec(comment)?.[1] : undefined;
    if (template) source.template = template;
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        issues.push({ source, message: `YAML syntax error: ${error.message.split('\n')[0]}` });
      }
      return;
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      issues.push({ source, message: `YAML cannot be converted: ${(error as Error).message}` });
      return;
    }
    if (value === null || value === undefined) return;
    if (isListDocument(value)) {
      value.items.forEach((item, position) =>
        candidates.push({ value: item, source: { ...source, item: position } }),
      );
      return;
    }
    candidates.push({ value, source });
  });
  return { candidates, issues };
}
