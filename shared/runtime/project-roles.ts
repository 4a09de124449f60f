import * as z from 'zod';
import { ResourceName } from '../config/names.ts';
import type { ProjectRoles } from '../project/identity.ts';

/** Set by the construct: `{"<project>": "<IAM role ARN>"}`, one role per project. */
export const PROJECT_ROLES_VARIABLE = 'DRIFTLESS_PROJECT_ROLES';

/** An IAM role's ARN, with an optional path: `arn:aws:iam::123456789012:role/path/name`. */
const RoleArn = z
  .string()
  .regex(
    /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/([\x21-\x7e]+\/)?[\w+=,.@-]{1,64}$/,
    'must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)',
  );

/**
 * The project roles of `DRIFTLESS_PROJECT_ROLES`, read once per cold start;
 * `{}` when it is unset or empty. A bad value throws with the variable's name,
 * naming a bad entry by its key only, never printing the value.
 */
export function functionProjectRoles(
  environment: Record<string, string | undefined> = process.env,
): ProjectRoles {
  const raw = environment[PROJECT_ROLES_VARIABLE]?.trim();
  if (!raw) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`invalid environment: ${PROJECT_ROLES_VARIABLE} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(
      `invalid environment: ${PROJECT_ROLES_VARIABLE} must be a JSON object of project name to IAM role ARN`,
    );
  }
  const roles: Record<string, string> = {};
  const problems: string[] = [];
  for (const [project, roleArn] of Object.entries(value)) {
    // The key is shown only as JSON, so a strange one cannot forge log lines.
    const where = `entry ${JSON.stringify(project.slice(0, 80))}`;
    const name = ResourceName.safeParse(project);
    const arn = RoleArn.safeParse(roleArn);
    if (!name.success) problems.push(`${where}: key ${name.error.issues[0]!.message}`);
    if (!arn.success) problems.push(`${where}: value ${arn.error.issues[0]!.message}`);
    if (name.success && arn.success) roles[project] = arn.data;
  }
  if (problems.length) {
    throw new Error(`invalid environment: ${PROJECT_ROLES_VARIABLE}: ${problems.join('; ')}`);
  }
  return Object.freeze(roles);
}
