import pointer from 'json-pointer';
import * as z from 'zod';

/** Why `text` is not an RFC 6901 pointer to a field, or undefined. */
function pointerError(text: string): string | undefined {
  if (text === '') return 'points at the whole object; name a field';
  try {
    pointer.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  // The library reads `~2` as two characters; RFC 6901 allows only ~0 and ~1.
  if (/~(?![01])/.test(text)) return 'has "~" not followed by 0 or 1 (RFC 6901)';
  return undefined;
}

/**
 * One `spec.ignoreDifferences` entry, as Argo CD writes it: which objects
 * (group and kind, optionally name and namespace) and which of their fields
 * are left out of the comparison and of what Driftless applies (Argo's
 * RespectIgnoreDifferences=true), so another manager (an HPA, a webhook)
 * keeps them.
 */
export const IgnoreDifference = z
  .strictObject({
    /** API group (`apps`); empty or absent for the core group; `*` for any. */
    group: z.string().default(''),
    kind: z.string().min(1),
    name: z.string().min(1).optional(),
    namespace: z.string().min(1).optional(),
    jsonPointers: z.array(z.string()).default([]),
    jqPathExpressions: z.array(z.string().min(1)).default([]),
    managedFieldsManagers: z.array(z.string().min(1)).default([]),
  })
  .superRefine((rule, ctx) => {
    const subject = ruleSubject(rule);
    for (const [i, text] of rule.jsonPointers.entries()) {
      const problem = pointerError(text);
      if (problem)
        ctx.addIssue({
          code: 'custom',
          path: ['jsonPointers', i],
          message: `${subject}: invalid JSON pointer "${text}": ${problem}`,
        });
    }
    if (
      !rule.jsonPointers.length &&
      !rule.jqPathExpressions.length &&
      !rule.managedFieldsManagers.length
    )
      ctx.addIssue({
        code: 'custom',
        message: `${subject}: give jsonPointers, jqPathExpressions or managedFieldsManagers`,
      });
  });

export type IgnoreDifference = z.output<typeof IgnoreDifference>;

/** How a rule is named in messages: `rule for apps/Deployment web`. */
export function ruleSubject(rule: IgnoreDifference): string {
  return `rule for ${rule.group ? `${rule.group}/` : ''}${rule.kind}${rule.name ? ` ${rule.name}` : ''}`;
}
