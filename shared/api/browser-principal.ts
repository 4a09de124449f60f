import * as z from 'zod';
import { ResourceName } from '../config/names.ts';

/** The environment variable the construct puts the browser access settings in, as JSON. */
export const BROWSER_ACCESS_ENV = 'DRIFTLESS_BROWSER_ACCESS';

/**
 * How a browser sign-in maps to projects (the construct's `ui` props,
 * docs/aws.md#ui-hosting-and-browser-sign-in): the token claim that lists the
 * caller's groups, the groups that see every project, and the projects of
 * each other group. Group names are compared exactly: no globs.
 */
export const BrowserAccess = z.strictObject({
  groupsClaim: z.string().min(1),
  adminGroups: z.array(z.string().min(1)),
  projectsByGroup: z.record(z.string().min(1), z.array(ResourceName)),
});
export type BrowserAccess = z.infer<typeof BrowserAccess>;

/** Who a browser caller is and which projects' applications they are served. */
export interface BrowserPrincipal {
  /** Recorded as the trigger of what they start. */
  caller: string;
  projects: ReadonlySet<string> | 'all';
}

// Bounds on what a token may carry. A claim beyond them counts as no groups at
// all rather than a truncated list: the caller is served nothing, never more.
const MAX_GROUPS = 500;
const MAX_CLAIM_CHARS = 64 * 1024;
const Group = z.string().min(1).max(256);
const GroupsClaim = z.union([z.array(Group).max(MAX_GROUPS), z.string().max(MAX_CLAIM_CHARS)]);
const Claims = z.record(z.string(), z.unknown());
const CallerClaim = z.string().min(1).max(256);

/** The settings from the function's environment; a malformed value fails the cold start. */
export function readBrowserAccess(raw: string | undefined): BrowserAccess | undefined {
  return raw === undefined ? undefined : BrowserAccess.parse(JSON.parse(raw));
}

/**
 * The groups a token's claim names. API Gateway hands an array claim to the
 * function as one string, `[a b c]`, so a bracketed string is split on
 * whitespace (Cognito group names cannot contain any); another string is one
 * group. Anything else, or a claim out of bounds, names no group.
 */
export function groupsOf(claims: unknown, claim: string): string[] {
  const parsed = Claims.safeParse(claims);
  if (!parsed.success || !Object.hasOwn(parsed.data, claim)) return [];
  const value = GroupsClaim.safeParse(parsed.data[claim]);
  if (!value.success) return [];
  if (Array.isArray(value.data)) return value.data;
  const listed = /^\[(.*)\]$/s.exec(value.data);
  const groups = listed ? listed[1]!.split(/\s+/).filter(Boolean) : [value.data];
  const usable = groups.length <= MAX_GROUPS && groups.every((g) => Group.safeParse(g).success);
  return usable ? groups : [];
}

/** A readable name for the caller: the first of email, username or subject the token carries. */
function callerOf(claims: unknown): string {
  const parsed = Claims.safeParse(claims);
  const names = parsed.success ? parsed.data : {};
  for (const key of ['email', 'username', 'cognito:username', 'sub']) {
    const value = CallerClaim.safeParse(Object.hasOwn(names, key) ? names[key] : undefined);
    if (value.success) return `browser:${value.data}`;
  }
  return 'browser:unknown';
}

/**
 * The projects a browser caller is served, from the groups in their token's
 * claims (as API Gateway's JWT authorizer verified them): every project for a
 * member of an admin group, else the union of their groups' projects. Without
 * settings, or without a known group, that is no project at all.
 */
export function browserPrincipal(
  claims: unknown,
  access: BrowserAccess | undefined,
): BrowserPrincipal {
  const caller = callerOf(claims);
  if (!access) return { caller, projects: new Set() };
  const groups = groupsOf(claims, access.groupsClaim);
  if (groups.some((g) => access.adminGroups.includes(g))) return { caller, projects: 'all' };
  // A Map, so a group named like an Object property (`constructor`) finds nothing.
  const byGroup = new Map(Object.entries(access.projectsByGroup));
  return { caller, projects: new Set(groups.flatMap((g) => byGroup.get(g) ?? [])) };
}

/** What API Gateway's authorizer put in the event: IAM's caller, or the JWT's verified claims. */
interface Authorizer {
  iam?: { userArn?: string };
  jwt?: { claims?: unknown };
}

/**
 * Who is calling and what they are served, from the event's authorizer: an
 * IAM principal (the management API) every project; a browser sign-in (the
 * browser API's JWT authorizer) only its groups' projects; a request with
 * neither, nothing.
 */
export function requestPrincipal(
  authorizer: Authorizer | undefined,
  access: BrowserAccess | undefined,
): { caller: string; allowedProjects?: ReadonlySet<string> } {
  if (authorizer?.iam) return { caller: authorizer.iam.userArn ?? 'unknown' };
  if (authorizer?.jwt) {
    const { caller, projects } = browserPrincipal(authorizer.jwt.claims, access);
    return projects === 'all' ? { caller } : { caller, allowedProjects: projects };
  }
  return { caller: 'unknown', allowedProjects: new Set() };
}
