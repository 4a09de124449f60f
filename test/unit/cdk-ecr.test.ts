import { describe, expect, test } from 'vitest';
import { ACCOUNT, REGION, statementsOf, synth, type Statement } from './cdk-synth.ts';

const REPO = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/charts/web`;

describe('ECR pull rights (ecrRepositoryArns)', () => {
  const ecrStatements = (statements: Statement[]) =>
    statements.filter((s) => [s.Action].flat().some((a) => String(a).startsWith('ecr:')));

  test('none without the prop', () => {
    const { template } = synth();
    for (const role of ['DriftlessReconcilerRole', 'DriftlessApiRole'])
      expect(ecrStatements(statementsOf(template, role))).toEqual([]);
  });

  test('the reconciler and API get a token and pull only the repositories named, the other functions nothing', () => {
    const { template } = synth(() => ({ ecrRepositoryArns: [REPO] }));
    for (const role of ['DriftlessReconcilerRole', 'DriftlessApiRole']) {
      const statements = ecrStatements(statementsOf(template, role));
      expect(statements).toContainEqual(
        expect.objectContaining({ Action: 'ecr:GetAuthorizationToken', Resource: '*' }),
      );
      const pull = statements.find((s) => [s.Action].flat().includes('ecr:BatchGetImage'));
      expect(pull?.Resource).toEqual(REPO);
      expect([pull?.Action].flat()).not.toContain('ecr:PutImage');
    }
    for (const role of ['DriftlessSchedulerRole', 'DriftlessWebhookRole'])
      expect(ecrStatements(statementsOf(template, role))).toEqual([]);
  });
});
