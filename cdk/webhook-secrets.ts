import { Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/**
 * The webhook secrets when none are passed in: JSON by provider, with a
 * generated `github` value; the other providers' are added with
 * `aws secretsmanager put-secret-value`.
 */
export class WebhookSecrets extends secretsmanager.Secret {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      description: 'Driftless webhook secrets, JSON by provider: github, gitlab, bitbucket, gitea',
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'github',
        passwordLength: 40,
        excludePunctuation: true,
      },
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Webhook secrets are shared with the Git providers: rotating one means changing the webhook at the provider too, which a rotation function cannot do. Rotate by hand: put-secret-value, then update the webhook.',
    });
  }
}
