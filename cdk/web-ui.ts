import { join } from 'node:path';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  BROWSER_ACCESS_ENV,
  BrowserSignIn,
  cognitoDomainPrefix,
  signInOrigins,
} from './browser-auth.ts';
import { PROJECT_ROOT, type DriftlessFunction } from './function.ts';
import { browserHttpApi } from './http-apis.ts';
import type { DriftlessUi } from './props.ts';
import { defaultContentSecurityPolicy, UiHosting } from './ui-hosting.ts';

/** Where `npm run build` puts the built UI: the default of `ui.assetsPath`. */
export const DEFAULT_UI_ASSETS = join(PROJECT_ROOT, 'dist', 'ui');

export interface DriftlessWebUiProps {
  readonly ui: DriftlessUi;
  /** The API function, which serves the browser API too. */
  readonly api: DriftlessFunction;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The web UI on AWS (docs/aws.md#ui-hosting-and-browser-sign-in): its files on
 * S3 behind CloudFront, sign-in, and a browser API to the same function as
 * the management API, whose IAM routes stay as they are.
 */
export class DriftlessWebUi extends Construct {
  readonly hosting: UiHosting;
  readonly signIn: BrowserSignIn;
  readonly browserApi: apigwv2.HttpApi;
  /** The browser API's URL, as config.json gives it to the UI. */
  readonly browserApiUrl: string;
  /** Where users open the UI. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: DriftlessWebUiProps) {
    super(scope, id);
    const { ui } = props;
    const domainPrefix = cognitoDomainPrefix(this, ui);
    this.hosting = new UiHosting(this, 'Hosting', {
      contentSecurityPolicy:
        ui.contentSecurityPolicy ??
        defaultContentSecurityPolicy(this, signInOrigins(this, ui, domainPrefix)),
    });
    this.url = this.hosting.url;
    this.signIn = new BrowserSignIn(this, 'SignIn', { ui, uiUrl: this.url, domainPrefix });
    const browserApi = browserHttpApi(this, props.api.function, props.logRetention, {
      authorizer: this.signIn.authorizer,
      allowedOrigin: this.hosting.origin,
    });
    this.browserApi = browserApi.api;
    this.browserApiUrl = browserApi.url;
    props.api.function.addEnvironment(BROWSER_ACCESS_ENV, JSON.stringify(this.signIn.access));
    this.hosting.deploy(ui.assetsPath ?? DEFAULT_UI_ASSETS, {
      apiUrl: this.browserApiUrl,
      oidc: this.signIn.settings,
    });
  }
}
