import type { Application } from '../config/application.ts';
import { ruleSubject } from '../config/ignore-differences.ts';
import { jqCompileError, loadJq } from '../sync/jq.ts';

/**
 * Loads jq when the application's ignoreDifferences use jq expressions, and
 * says which expressions do not compile (naming the rule), before anything
 * is rendered or sent. jq is checked here rather than when the Application
 * is loaded: only a reconcile that diffs needs jq, and the functions that
 * only read definitions (webhook, scheduler) stay small and fast to start.
 */
export async function jqRuleProblems(app: Application): Promise<string[]> {
  const rules = app.spec.ignoreDifferences;
  if (!rules.some((r) => r.jqPathExpressions.length > 0)) return [];
  await loadJq();
  return rules.flatMap((rule, i) =>
    rule.jqPathExpressions.flatMap((text, j) => {
      const problem = jqCompileError(text);
      return problem
        ? [
            `spec.ignoreDifferences.${i}.jqPathExpressions.${j}: ${ruleSubject(rule)}: invalid jq path expression "${text}": ${problem}`,
          ]
        : [];
    }),
  );
}
