import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { eksConnection, type EksClusterRef } from '../../shared/kube/eks-connection.ts';
import { functionProjectRoles } from '../../shared/runtime/project-roles.ts';
import { LOCAL_AWS } from '../harness/dynamodb.ts';
import { uniqueName } from '../harness/context.ts';

const REGION = LOCAL_AWS.region;
/** moto's default account, where the base credentials act. */
const OWN_ACCOUNT = '123456789012';
/** A second moto account, for a cluster reached through its own role. */
const OTHER_ACCOUNT = '222233334444';

/** One STS request as it left the SDK, and moto's answer. */
interface StsCall {
  params: URLSearchParams;
  /** The access key the request was signed with. */
  signedBy: string | undefined;
  response: string;
}

/**
 * A recording HTTP proxy in front of moto's STS: moto keeps no record of the
 * session tags it was sent, so the test reads them off the wire. Requests for
 * a role in `refuse` are answered as STS answers a trust policy that does not
 * let the caller in (moto checks no trust policies).
 */
async function startStsRecorder(target: string) {
  const calls: StsCall[] = [];
  const refuse = new Set<string>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const params = new URLSearchParams(body);
      const signedBy = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
      const roleArn = params.get('RoleArn');
      if (roleArn && refuse.has(roleArn)) {
        calls.push({ params, signedBy, response: '' });
        res.writeHead(403, { 'content-type': 'text/xml' });
        res.end(
          `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::${OWN_ACCOUNT}:assumed-role/driftless-reconciler/fn is not authorized to perform: sts:AssumeRole on resource: ${roleArn}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
        );
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          (e): e is [string, string] =>
            typeof e[1] === 'string' && !['host', 'content-length', 'connection'].includes(e[0]),
        ),
      );
      const answer = await fetch(target + (req.url ?? '/'), {
        method: req.method ?? 'POST',
        headers,
        ...(req.method === 'GET' ? {} : { body }),
      });
      const response = await answer.text();
      calls.push({ params, signedBy, response });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' });
      res.end(response);
    })().catch((err: unknown) => {
      res.writeHead(502);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    refuse,
    assumeRoles: () => calls.filter((c) => c.params.get('Action') === 'AssumeRole'),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A signed AWS Query request to moto (IAM has no client in this project). */
async function awsQuery(
  endpoint: string,
  service: string,
  params: Record<string, string>,
  account = OWN_ACCOUNT,
): Promise<string> {
  const url = new URL(endpoint);
  const body = new URLSearchParams(params).toString();
  const signer = new SignatureV4({
    credentials: LOCAL_AWS.credentials,
    region: REGION,
    service,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      headers: {
        host: url.host,
        'content-type': 'application/x-www-form-urlencoded',
        'x-moto-account-id': account,
      },
      body,
    }),
  );
  const response = await fetch(endpoint, { method: 'POST', headers: signed.headers, body });
  const text = await response.text();
  if (!response.ok) throw new Error(`${service} ${params.Action}: ${response.status} ${text}`);
  return text;
}

async function createRole(moto: string, account: string, name: string): Promise<string> {
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${OWN_ACCOUNT}:root` },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
      },
    ],
  });
  const xml = await awsQuery(
    moto,
    'iam',
    {
      Action: 'CreateRole',
      Version: '2010-05-08',
      RoleName: name,
      AssumeRolePolicyDocument: trust,
    },
    account,
  );
  return xmlValue(xml, 'Arn');
}

/** Creates the cluster in moto; its endpoint and CA as DescribeCluster will give them. */
async function createCluster(
  moto: string,
  account: string,
  name: string,
): Promise<{ server: string; ca: Buffer }> {
  const eks = new EKSClient({ ...LOCAL_AWS, endpoint: moto });
  eks.middlewareStack.add(
    (next) => (args) => {
      (args.request as HttpRequest).headers['x-moto-account-id'] = account;
      return next(args);
    },
    { step: 'build', name: 'motoAccount' },
  );
  try {
    const { cluster } = await eks.send(
      new CreateClusterCommand({
        name,
        roleArn: `arn:aws:iam::${account}:role/eks-service`,
        resourcesVpcConfig: { subnetIds: [] },
      }),
    );
    return {
      server: cluster!.endpoint!,
      ca: Buffer.from(cluster!.certificateAuthority!.data!, 'base64'),
    };
  } finally {
    eks.destroy();
  }
}

function xmlValue(xml: string, tag: string): string {
  const value = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
  if (value === undefined) throw new Error(`no <${tag}> in ${xml}`);
  return value;
}

/** The presigned GetCallerIdentity URL inside an EKS token. */
function tokenUrl(token: string): URL {
  expect(token.startsWith('k8s-aws-v1.')).toBe(true);
  return new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString());
}

/**
 * Who STS (moto) says the token's signer is. moto reads the caller from an
 * Authorization header only and checks no signatures, so the presigned
 * credential is moved into one; the query (session token included) is sent as signed.
 */
async function callerOf(moto: string, clusterName: string, token: string): Promise<string> {
  const url = tokenUrl(token);
  expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
  const response = await fetch(`${moto}/?${url.searchParams.toString()}`, {
    headers: {
      'x-k8s-aws-id': clusterName,
      authorization: `AWS4-HMAC-SHA256 Credential=${url.searchParams.get('X-Amz-Credential')}, SignedHeaders=${url.searchParams.get('X-Amz-SignedHeaders')}, Signature=${url.searchParams.get('X-Amz-Signature')}`,
    },
  });
  const xml = await response.text();
  expect(response.status, xml).toBe(200);
  return xmlValue(xml, 'Arn');
}

function tokenKey(token: string): string {
  return tokenUrl(token).searchParams.get('X-Amz-Credential')!.split('/')[0]!;
}

function tags(call: StsCall): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; call.params.has(`Tags.member.${i}.Key`); i++) {
    out[call.params.get(`Tags.member.${i}.Key`)!] = call.params.get(`Tags.member.${i}.Value`)!;
  }
  return out;
}

describe('EKS project identity (STS and EKS APIs: moto stand-in; STS through a recording proxy)', () => {
  let moto: string;
  let sts: Awaited<ReturnType<typeof startStsRecorder>>;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    moto = inject('awsEndpoint');
    if (!moto) throw new Error('moto was not started by the harness (DRIFTLESS_SERVERS=dynamo?)');
    sts = await startStsRecorder(moto);
    const env = {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_ENDPOINT_URL: undefined,
      AWS_ENDPOINT_URL_EKS: moto,
      AWS_ENDPOINT_URL_STS: sts.endpoint,
    };
    for (const [key, value] of Object.entries(env)) {
      saved[key] = process.env[key];
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await sts?.stop();
  });

  async function sameAccountCluster() {
    const name = uniqueName('eks');
    const endpoint = await createCluster(moto, OWN_ACCOUNT, name);
    const roleName = uniqueName('project-web');
    const roleArn = await createRole(moto, OWN_ACCOUNT, roleName);
    return { ref: { name, region: REGION } satisfies EksClusterRef, roleArn, roleName, endpoint };
  }

  it('a project identity signs the token as the project role, assumed with its session name and tags', async () => {
    const { ref, roleArn, roleName, endpoint } = await sameAccountCluster();
    const app = uniqueName('web');
    const before = sts.assumeRoles().length;

    const connection = await eksConnection(ref, {
      roleArn,
      sessionName: `driftless-${app}`,
      sessionTags: { 'driftless:application': app, 'driftless:project': 'web' },
    });

    expect(connection.server).toBe(endpoint.server);
    expect(connection.ca).toEqual(endpoint.ca);
    const calls = sts.assumeRoles().slice(before);
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.params.get('RoleArn')).toBe(roleArn);
    expect(call.params.get('RoleSessionName')).toBe(`driftless-${app}`);
    expect(call.params.get('DurationSeconds')).toBe('900');
    expect(tags(call)).toEqual({ 'driftless:application': app, 'driftless:project': 'web' });
    expect(call.signedBy).toBe(LOCAL_AWS.credentials.accessKeyId);

    const assumedKey = xmlValue(call.response, 'AccessKeyId');
    expect(assumedKey).not.toBe(LOCAL_AWS.credentials.accessKeyId);
    expect(tokenKey(connection.token!)).toBe(assumedKey);
    const url = tokenUrl(connection.token!);
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(
      xmlValue(call.response, 'SessionToken'),
    );
    expect(await callerOf(moto, ref.name, connection.token!)).toBe(
      `arn:aws:sts::${OWN_ACCOUNT}:assumed-role/${roleName}/driftless-${app}`,
    );
  });

  it('without a project identity the token is signed with the base credentials (no AssumeRole)', async () => {
    const { ref } = await sameAccountCluster();
    const before = sts.assumeRoles().length;
    const connection = await eksConnection(ref, {});
    expect(sts.assumeRoles().length).toBe(before);
    expect(tokenKey(connection.token!)).toBe(LOCAL_AWS.credentials.accessKeyId);
  });

  it('a cluster with its own role: that role is assumed first, the project role from its credentials (role chaining)', async () => {
    const name = uniqueName('eks-other');
    const endpoint = await createCluster(moto, OTHER_ACCOUNT, name);
    const clusterRoleArn = await createRole(moto, OTHER_ACCOUNT, uniqueName('driftless-access'));
    const projectRole = uniqueName('project-pay');
    const projectRoleArn = await createRole(moto, OTHER_ACCOUNT, projectRole);
    const ref: EksClusterRef = { name, region: REGION, roleArn: clusterRoleArn };
    const before = sts.assumeRoles().length;

    const connection = await eksConnection(ref, {
      roleArn: projectRoleArn,
      sessionName: 'driftless-pay',
      sessionTags: { 'driftless:application': 'pay', 'driftless:project': 'pay' },
    });

    // DescribeCluster found the cluster in the other account: it ran as the cluster's role.
    expect(connection.server).toBe(endpoint.server);
    const calls = sts.assumeRoles().slice(before);
    expect(calls.map((c) => c.params.get('RoleArn'))).toEqual([clusterRoleArn, projectRoleArn]);
    const [clusterCall, projectCall] = calls as [StsCall, StsCall];
    expect(clusterCall.signedBy).toBe(LOCAL_AWS.credentials.accessKeyId);
    expect(tags(clusterCall)).toEqual({});
    expect(projectCall.signedBy).toBe(xmlValue(clusterCall.response, 'AccessKeyId'));
    expect(tags(projectCall)).toEqual({
      'driftless:application': 'pay',
      'driftless:project': 'pay',
    });
    expect(tokenKey(connection.token!)).toBe(xmlValue(projectCall.response, 'AccessKeyId'));
    expect(await callerOf(moto, name, connection.token!)).toBe(
      `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/${projectRole}/driftless-pay`,
    );

    // Another project on the same cluster reuses the cluster role's session.
    const second = await createRole(moto, OTHER_ACCOUNT, uniqueName('project-ops'));
    await eksConnection(ref, { roleArn: second, sessionName: 'driftless-ops' });
    const more = sts.assumeRoles().slice(before + 2);
    expect(more.map((c) => c.params.get('RoleArn'))).toEqual([second]);
    expect(more[0]!.signedBy).toBe(xmlValue(clusterCall.response, 'AccessKeyId'));
  });

  it('a second connection with the same identity assumes nothing; another application or tag does', async () => {
    const { ref, roleArn } = await sameAccountCluster();
    const identity = {
      roleArn,
      sessionName: 'driftless-cached',
      sessionTags: { 'driftless:application': 'cached', 'driftless:project': 'web' },
    };
    const before = sts.assumeRoles().length;
    const first = await eksConnection(ref, identity);
    const [second, third] = await Promise.all([
      eksConnection(ref, { ...identity, sessionTags: { ...identity.sessionTags } }),
      eksConnection(ref, identity),
    ]);
    expect(sts.assumeRoles().length - before).toBe(1);
    expect(tokenKey(second.token!)).toBe(tokenKey(first.token!));
    expect(tokenKey(third.token!)).toBe(tokenKey(first.token!));

    await eksConnection(ref, { ...identity, sessionName: 'driftless-other' });
    await eksConnection(ref, {
      ...identity,
      sessionTags: { ...identity.sessionTags, 'driftless:project': 'ops' },
    });
    expect(sts.assumeRoles().length - before).toBe(3);
  });

  it('credentials are assumed again once less than 10 of their 15 minutes are left', async () => {
    const { ref, roleArn } = await sameAccountCluster();
    const identity = { roleArn, sessionName: 'driftless-refresh' };
    const before = sts.assumeRoles().length;
    const first = await eksConnection(ref, identity);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 4 * 60_000);
      await eksConnection(ref, identity);
      expect(sts.assumeRoles().length - before).toBe(1);
      vi.setSystemTime(Date.now() + 2 * 60_000);
      const later = await eksConnection(ref, identity);
      expect(sts.assumeRoles().length - before).toBe(2);
      expect(tokenKey(later.token!)).not.toBe(tokenKey(first.token!));
    } finally {
      vi.useRealTimers();
    }
  });

  it('the cache is bounded: after 256 other identities the first is assumed again', async () => {
    const { ref, roleArn } = await sameAccountCluster();
    const first = { roleArn, sessionName: 'driftless-evicted' };
    await eksConnection(ref, first);
    const before = sts.assumeRoles().length;
    for (let i = 0; i < 256; i++) {
      await eksConnection(ref, { roleArn, sessionName: `driftless-fill-${i}` });
    }
    expect(sts.assumeRoles().length - before).toBe(256);
    await eksConnection(ref, { roleArn, sessionName: 'driftless-fill-255' });
    expect(sts.assumeRoles().length - before).toBe(256);
    await eksConnection(ref, first);
    expect(sts.assumeRoles().length - before).toBe(257);
  });

  it('a refused AssumeRole names the project role, and is not kept', async () => {
    const { ref, roleArn } = await sameAccountCluster();
    sts.refuse.add(roleArn);
    const identity = { roleArn, sessionName: 'driftless-refused' };
    const error = await eksConnection(ref, identity).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error?.message).toBe(
      `cannot assume project role ${roleArn}: User: arn:aws:sts::${OWN_ACCOUNT}:assumed-role/driftless-reconciler/fn is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    );
    expect(error?.cause).toBeUndefined();
    sts.refuse.delete(roleArn);
    const connection = await eksConnection(ref, identity);
    expect(tokenKey(connection.token!)).not.toBe(LOCAL_AWS.credentials.accessKeyId);
  });

  it('a refused cluster role is named as the cluster role, also when a project role was asked for', async () => {
    const name = uniqueName('eks-refused');
    await createCluster(moto, OTHER_ACCOUNT, name);
    const clusterRoleArn = `arn:aws:iam::${OTHER_ACCOUNT}:role/${uniqueName('refused')}`;
    sts.refuse.add(clusterRoleArn);
    const ref: EksClusterRef = { name, region: REGION, roleArn: clusterRoleArn };
    const projectRoleArn = await createRole(moto, OTHER_ACCOUNT, uniqueName('project-x'));
    await expect(
      eksConnection(ref, { roleArn: projectRoleArn, sessionName: 'driftless-x' }),
    ).rejects.toThrow(`cannot assume cluster role ${clusterRoleArn}: User: `);
  });
});

describe('DRIFTLESS_PROJECT_ROLES', () => {
  const arn = 'arn:aws:iam::123456789012:role/driftless/project-web';

  it('is read as project name → role ARN, frozen; absent or empty is no roles', () => {
    const roles = functionProjectRoles({
      DRIFTLESS_PROJECT_ROLES: JSON.stringify({
        web: arn,
        'pay-eu': 'arn:aws-cn:iam::210987654321:role/pay',
      }),
    });
    expect(roles).toEqual({ web: arn, 'pay-eu': 'arn:aws-cn:iam::210987654321:role/pay' });
    expect(Object.isFrozen(roles)).toBe(true);
    expect(functionProjectRoles({})).toEqual({});
    expect(functionProjectRoles({ DRIFTLESS_PROJECT_ROLES: ' ' })).toEqual({});
  });

  it('invalid JSON throws naming the variable, without its value', () => {
    // The whole message is fixed: JSON.parse's own would quote part of the value.
    expect(() => functionProjectRoles({ DRIFTLESS_PROJECT_ROLES: `{"web": "${arn}"` })).toThrow(
      /^invalid environment: DRIFTLESS_PROJECT_ROLES is not valid JSON$/,
    );
    expect(() => functionProjectRoles({ DRIFTLESS_PROJECT_ROLES: `["${arn}"]` })).toThrow(
      'invalid environment: DRIFTLESS_PROJECT_ROLES must be a JSON object of project name to IAM role ARN',
    );
  });

  it('a bad ARN or project name throws naming the variable and the entry by key only', () => {
    const secretish = 'arn:aws:iam::123456789012:user/not-a-role-SECRET';
    const call = () =>
      functionProjectRoles({
        DRIFTLESS_PROJECT_ROLES: JSON.stringify({
          web: arn,
          pay: secretish,
          Ops_Team: arn,
          data: 42,
        }),
      });
    const message = (() => {
      try {
        call();
      } catch (err) {
        return (err as Error).message;
      }
      return 'no error';
    })();
    expect(message).toBe(
      'invalid environment: DRIFTLESS_PROJECT_ROLES: entry "pay": value must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME); ' +
        'entry "Ops_Team": key must be lowercase letters, digits and "-", starting and ending with a letter or digit; ' +
        'entry "data": value Invalid input: expected string, received number',
    );
    expect(message).not.toMatch(/SECRET|not-a-role|123456789012/);
  });
});
