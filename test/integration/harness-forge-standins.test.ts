import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startBitbucketStandin,
  type BitbucketStandin,
} from '../harness/forge-standins/bitbucket-standin.ts';
import {
  startGitHubStandin,
  type GitHubStandin,
} from '../harness/forge-standins/github-standin.ts';
import {
  startGitLabStandin,
  type GitLabStandin,
} from '../harness/forge-standins/gitlab-standin.ts';

/**
 * The stand-ins are only worth their "no violations" if they do refuse
 * what the forge's description or documentation does not allow: each case
 * is a request a buggy client could make, answered 4xx and recorded.
 */

const SHA = 'e'.repeat(40);

async function send(url: string, method: string, headers: Record<string, string>, body?: unknown) {
  const init: RequestInit = { method, headers: { ...headers, 'content-type': 'application/json' } };
  if (body !== undefined) init.body = JSON.stringify(body);
  return (await fetch(url, init)).status;
}

describe("GitHub stand-in validated against GitHub's OpenAPI description", () => {
  let github: GitHubStandin;
  const auth = { authorization: 'token ghp_harness' };
  beforeAll(async () => {
    github = await startGitHubStandin();
    github.addUser('ghp_harness', 'harness');
  });
  afterAll(() => github.stop());

  it.each([
    [
      'an operation the description lacks',
      'GET',
      '/repos/acme/app/previews',
      undefined,
      404,
      /no such operation/,
    ],
    [
      'a state not in the enum',
      'POST',
      `/repos/acme/app/statuses/${SHA}`,
      { state: 'done' },
      422,
      /body\/state must be equal to one of the allowed values/,
    ],
    [
      'a body without its required field',
      'POST',
      '/repos/acme/app/issues/1/comments',
      { text: 'hi' },
      422,
      /body must have required property 'body'/,
    ],
    [
      'a path parameter of the wrong type',
      'GET',
      '/repos/acme/app/issues/one/comments',
      undefined,
      422,
      /parameters\/issue_number must be integer/,
    ],
    [
      'an undeclared query parameter',
      'GET',
      '/repos/acme/app/pulls/1/files?perpage=100',
      undefined,
      422,
      /query parameter perpage is not in the description/,
    ],
    [
      'a body where the operation takes none',
      'DELETE',
      '/repos/acme/app/issues/comments/1',
      { hello: 1 },
      422,
      /takes no JSON body/,
    ],
    [
      'a description over 140 characters',
      'POST',
      `/repos/acme/app/statuses/${SHA}`,
      { state: 'success', description: 'd'.repeat(141) },
      422,
      /description over 140 characters/,
    ],
  ])('refuses %s and records it', async (_case, method, path, body, status, violation) => {
    const before = github.violations().length;
    expect(await send(`${github.apiURL}${path}`, method, auth, body)).toBe(status);
    expect(github.violations().slice(before)).toEqual([expect.stringMatching(violation)]);
  });

  it('takes a valid request without a violation, its answer checked too', async () => {
    const before = github.violations().length;
    const status = {
      state: 'success',
      context: 'driftless/x',
      description: null,
      target_url: null,
    };
    expect(
      await send(`${github.apiURL}/repos/acme/app/statuses/${SHA}`, 'POST', auth, status),
    ).toBe(201);
    expect(github.violations().slice(before)).toEqual([]);
  });

  it('refuses a request without valid credentials', async () => {
    const before = github.violations().length;
    expect(await send(`${github.apiURL}/user`, 'GET', { authorization: 'token nope' })).toBe(401);
    expect(github.violations().slice(before)).toEqual([expect.stringMatching(/Bad credentials/)]);
  });
});

describe('GitLab stand-in, documented request shapes', () => {
  let gitlab: GitLabStandin;
  const auth = { 'private-token': 'glpat-harness' };
  beforeAll(async () => {
    gitlab = await startGitLabStandin();
    gitlab.addUser('glpat-harness', 'harness');
  });
  afterAll(() => gitlab.stop());

  it.each([
    [
      'an endpoint it does not document',
      'GET',
      '/projects/acme%2Fapp/pipelines',
      undefined,
      404,
      /no such endpoint/,
    ],
    [
      'an undocumented body field',
      'POST',
      `/projects/acme%2Fapp/statuses/${SHA}`,
      { state: 'success', colour: 'green' },
      400,
      /Unrecognized key: "colour"/,
    ],
    [
      'a description over 255 characters',
      'POST',
      `/projects/acme%2Fapp/statuses/${SHA}`,
      { state: 'success', description: 'd'.repeat(256) },
      400,
      /body.description/,
    ],
    [
      'a page over 100 items',
      'GET',
      '/projects/acme%2Fapp/merge_requests/1/notes?per_page=500',
      undefined,
      400,
      /query.per_page/,
    ],
    [
      'a note body over 1,000,000 characters',
      'POST',
      '/projects/acme%2Fapp/merge_requests/1/notes',
      { body: 'b'.repeat(1_000_001) },
      400,
      /body.body/,
    ],
  ])('refuses %s and records it', async (_case, method, path, body, status, violation) => {
    const before = gitlab.violations().length;
    expect(await send(`${gitlab.apiURL}${path}`, method, auth, body)).toBe(status);
    expect(gitlab.violations().slice(before)).toEqual([expect.stringMatching(violation)]);
  });

  it('takes a valid request without a violation', async () => {
    const before = gitlab.violations().length;
    expect(
      await send(`${gitlab.apiURL}/projects/acme%2Fapp/statuses/${SHA}`, 'POST', auth, {
        state: 'running',
        name: 'x',
      }),
    ).toBe(201);
    expect(gitlab.violations().slice(before)).toEqual([]);
  });
});

describe('Bitbucket Cloud stand-in, documented request shapes', () => {
  let bitbucket: BitbucketStandin;
  const auth = { authorization: 'Bearer bb-harness' };
  beforeAll(async () => {
    bitbucket = await startBitbucketStandin();
    bitbucket.addUser({ token: 'bb-harness' }, 'harness');
  });
  afterAll(() => bitbucket.stop());

  const build = `/repositories/acme/app/commit/${SHA}/statuses/build`;
  it.each([
    [
      'a key over 40 characters',
      'POST',
      build,
      { key: 'k'.repeat(41), state: 'SUCCESSFUL', url: 'https://x.example/' },
      400,
      /body.key/,
    ],
    ['a status without its URL', 'POST', build, { key: 'k', state: 'SUCCESSFUL' }, 400, /body.url/],
    [
      'a state GitHub would use',
      'POST',
      build,
      { key: 'k', state: 'success', url: 'https://x.example/' },
      400,
      /body.state/,
    ],
    [
      'a comment whose content is not an object',
      'POST',
      '/repositories/acme/app/pullrequests/1/comments',
      { content: 'hi' },
      400,
      /body.content/,
    ],
    [
      'an undocumented query parameter',
      'GET',
      '/repositories/acme/app/pullrequests/1/comments?per_page=5',
      undefined,
      400,
      /Unrecognized key: "per_page"/,
    ],
  ])('refuses %s and records it', async (_case, method, path, body, status, violation) => {
    const before = bitbucket.violations().length;
    expect(await send(`${bitbucket.apiURL}${path}`, method, auth, body)).toBe(status);
    expect(bitbucket.violations().slice(before)).toEqual([expect.stringMatching(violation)]);
  });

  it('takes a valid request without a violation', async () => {
    const before = bitbucket.violations().length;
    const status = {
      key: 'driftless/x',
      state: 'INPROGRESS',
      url: 'https://x.example/',
      name: 'x',
    };
    expect(await send(`${bitbucket.apiURL}${build}`, 'POST', auth, status)).toBe(201);
    expect(bitbucket.violations().slice(before)).toEqual([]);
  });
});
