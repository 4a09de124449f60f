import { describe, expect, test } from 'vitest';
import {
  browserPrincipal,
  groupsOf,
  readBrowserAccess,
  requestPrincipal,
  type BrowserAccess,
} from '../../shared/api/browser-principal.ts';

/** Browser sign-ins: the groups of a verified token's claims → the projects the caller is served. */

const ACCESS: BrowserAccess = {
  groupsClaim: 'cognito:groups',
  adminGroups: ['driftless-admins'],
  projectsByGroup: {
    'team-a-devs': ['team-a'],
    'team-b-devs': ['team-b'],
    oncall: ['team-a', 'team-b'],
  },
};

const projectsOf = (claims: unknown, access: BrowserAccess = ACCESS) => {
  const { projects } = browserPrincipal(claims, access);
  return projects === 'all' ? 'all' : [...projects].sort();
};

describe('browser principal', () => {
  test('a group sees its projects; several groups see the union; an admin group sees all', () => {
    expect(projectsOf({ 'cognito:groups': ['team-a-devs'] })).toEqual(['team-a']);
    expect(projectsOf({ 'cognito:groups': ['team-a-devs', 'team-b-devs'] })).toEqual([
      'team-a',
      'team-b',
    ]);
    expect(projectsOf({ 'cognito:groups': ['oncall', 'team-a-devs'] })).toEqual([
      'team-a',
      'team-b',
    ]);
    expect(projectsOf({ 'cognito:groups': ['team-a-devs', 'driftless-admins'] })).toBe('all');
  });

  test('groups as API Gateway passes an array claim (one bracketed string), or as one plain string', () => {
    expect(groupsOf({ 'cognito:groups': '[team-a-devs team-b-devs]' }, 'cognito:groups')).toEqual([
      'team-a-devs',
      'team-b-devs',
    ]);
    expect(projectsOf({ 'cognito:groups': '[team-b-devs]' })).toEqual(['team-b']);
    expect(projectsOf({ 'cognito:groups': 'team-b-devs' })).toEqual(['team-b']);
    expect(projectsOf({ 'cognito:groups': '[driftless-admins]' })).toBe('all');
    // A comma list is not a format API Gateway or Cognito produce: one unknown group.
    expect(projectsOf({ 'cognito:groups': 'team-a-devs,team-b-devs' })).toEqual([]);
  });

  test('no usable groups sees nothing, never everything', () => {
    for (const claims of [
      {},
      { sub: 'u1' },
      { groups: ['team-a-devs'] }, // another claim than the configured one
      { 'cognito:groups': [] },
      { 'cognito:groups': '' },
      { 'cognito:groups': '[]' },
      { 'cognito:groups': ['unknown'] },
      { 'cognito:groups': 42 },
      { 'cognito:groups': true },
      { 'cognito:groups': { 'team-a-devs': true } },
      { 'cognito:groups': [['team-a-devs']] },
      { 'cognito:groups': [''] },
      { 'cognito:groups': null },
      null,
      'cognito:groups=team-a-devs',
      ['team-a-devs'],
    ])
      expect(projectsOf(claims), JSON.stringify(claims)).toEqual([]);
  });

  test('group names match exactly: no globs, case, prefixes or Object properties', () => {
    for (const group of [
      '*',
      'team-*',
      'team-a-*',
      'TEAM-A-DEVS',
      'team-a',
      'team-a-devs ',
      'driftless-admins*',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
    ])
      expect(projectsOf({ 'cognito:groups': [group] }), group).toEqual([]);
    // A group literally named like a glob in the settings is matched literally too.
    const globbed = { ...ACCESS, projectsByGroup: { 'team-*': ['team-a'] } };
    expect(projectsOf({ 'cognito:groups': ['team-b'] }, globbed)).toEqual([]);
    expect(projectsOf({ 'cognito:groups': ['team-*'] }, globbed)).toEqual(['team-a']);
  });

  test('a huge claim counts as no groups, not a truncated list', () => {
    const many = Array.from({ length: 501 }, (_, i) => `g${i}`);
    expect(projectsOf({ 'cognito:groups': [...many, 'driftless-admins'] })).toEqual([]);
    expect(
      projectsOf({ 'cognito:groups': `[${[...many, 'driftless-admins'].join(' ')}]` }),
    ).toEqual([]);
    expect(projectsOf({ 'cognito:groups': `[team-a-devs ${'x'.repeat(70_000)}]` })).toEqual([]);
    expect(projectsOf({ 'cognito:groups': ['team-a-devs', 'y'.repeat(257)] })).toEqual([]);
    // Within the bounds, many groups still work.
    expect(projectsOf({ 'cognito:groups': [...many.slice(0, 499), 'team-a-devs'] })).toEqual([
      'team-a',
    ]);
  });

  test('without settings a browser caller sees nothing', () => {
    expect(
      browserPrincipal({ 'cognito:groups': ['driftless-admins'] }, undefined).projects,
    ).toEqual(new Set());
  });

  test('the configured claim name is used', () => {
    const okta = { ...ACCESS, groupsClaim: 'groups' };
    expect(projectsOf({ groups: ['team-b-devs'] }, okta)).toEqual(['team-b']);
    expect(projectsOf({ 'cognito:groups': ['team-b-devs'] }, okta)).toEqual([]);
  });

  test('the caller is named by email, username or subject, bounded', () => {
    expect(browserPrincipal({ email: 'a@example.com', sub: 's' }, ACCESS).caller).toBe(
      'browser:a@example.com',
    );
    expect(browserPrincipal({ 'cognito:username': 'ann', sub: 's' }, ACCESS).caller).toBe(
      'browser:ann',
    );
    expect(browserPrincipal({ email: 'e'.repeat(300), sub: 's1' }, ACCESS).caller).toBe(
      'browser:s1',
    );
    expect(browserPrincipal({ email: ['a@example.com'] }, ACCESS).caller).toBe('browser:unknown');
  });

  test('an IAM caller is served every project; a JWT caller its groups; neither, nothing', () => {
    const role = 'arn:aws:iam::123456789012:role/ops';
    expect(requestPrincipal({ iam: { userArn: role } }, ACCESS)).toEqual({ caller: role });
    expect(
      requestPrincipal(
        { jwt: { claims: { sub: 'u', 'cognito:groups': '[team-a-devs]' } } },
        ACCESS,
      ),
    ).toEqual({ caller: 'browser:u', allowedProjects: new Set(['team-a']) });
    expect(
      requestPrincipal(
        { jwt: { claims: { sub: 'u', 'cognito:groups': ['driftless-admins'] } } },
        ACCESS,
      ),
    ).toEqual({ caller: 'browser:u' });
    expect(requestPrincipal({ jwt: { claims: {} } }, ACCESS).allowedProjects).toEqual(new Set());
    expect(requestPrincipal(undefined, ACCESS).allowedProjects).toEqual(new Set());
    expect(requestPrincipal({}, ACCESS).allowedProjects).toEqual(new Set());
  });

  test('settings from the environment are validated', () => {
    expect(readBrowserAccess(undefined)).toBeUndefined();
    expect(readBrowserAccess(JSON.stringify(ACCESS))).toEqual(ACCESS);
    expect(() => readBrowserAccess('{')).toThrow();
    expect(() =>
      readBrowserAccess(JSON.stringify({ ...ACCESS, projectsByGroup: { devs: ['team-*'] } })),
    ).toThrow(/lowercase letters/);
    expect(() => readBrowserAccess(JSON.stringify({ ...ACCESS, extra: 1 }))).toThrow();
  });
});
