import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

const SOURCE_DIR = join(import.meta.dirname, 'tools-layer');
const BUILD_SCRIPT = join(SOURCE_DIR, 'build.sh');
/** The one place tool versions live; the test harness builds the same versions for the host. */
export const TOOL_VERSIONS_FILE = join(
  import.meta.dirname,
  '..',
  'test',
  'harness',
  'tool-versions.sh',
);

export interface DriftlessToolsLayerProps {
  /**
   * Where built binaries are cached, per tool, version and architecture.
   *
   * @default - `$DRIFTLESS_TOOLS_CACHE`, else `~/.cache/driftless-tools` (the test harness's cache)
   */
  readonly cacheDir?: string;
}

/** Reads `NAME=value` lines from tool-versions.sh (a plain shell file, no expansions). */
export function toolVersions(file = TOOL_VERSIONS_FILE): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(\S+)\s*$/.exec(line);
    if (match) versions[match[1]!] = match[2]!;
  }
  return versions;
}

/**
 * An arm64 Lambda layer with `bin/kustomize` and `bin/helm` (mounted as
 * `/opt/bin/...`), cross-compiled from their Go modules on the machine that
 * synthesizes: no Docker, so it works where CI and developers have only Go.
 */
export class DriftlessToolsLayer extends lambda.LayerVersion {
  constructor(scope: Construct, id: string, props: DriftlessToolsLayerProps = {}) {
    const versions = toolVersions();
    const env = {
      ...process.env,
      ...(props.cacheDir ? { DRIFTLESS_TOOLS_CACHE: props.cacheDir } : {}),
    };
    super(scope, id, {
      description: `kustomize ${versions.KUSTOMIZE_VERSION} and helm ${versions.HELM_VERSION} for linux/arm64 (Driftless)`,
      compatibleArchitectures: [lambda.Architecture.ARM_64],
      compatibleRuntimes: [lambda.Runtime.NODEJS_24_X],
      code: lambda.Code.fromAsset(SOURCE_DIR, {
        // The output is a function of the script and the versions only. Hashing
        // them (not the ~100 MB of binaries) keeps synth cheap, and lets CDK
        // reuse an already staged asset without running the build again.
        assetHashType: AssetHashType.CUSTOM,
        assetHash: createHash('sha256')
          .update(readFileSync(BUILD_SCRIPT))
          .update(readFileSync(TOOL_VERSIONS_FILE))
          .digest('hex'),
        bundling: {
          // Required by the type; never pulled, since local bundling always
          // answers (it builds or fails with the reason).
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/golang:1.26'),
          local: {
            tryBundle(outputDir: string): boolean {
              // Progress goes to stderr: stdout of a CDK app is not a log.
              execFileSync('bash', [BUILD_SCRIPT, outputDir], { stdio: ['ignore', 2, 2], env });
              return true;
            },
          },
        },
      }),
    });
  }
}
