import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** Logger, metrics and tracer for one function; service name and namespace come from POWERTOOLS_* variables when set. */
export function powertools(service: string): { logger: Logger; metrics: Metrics; tracer: Tracer } {
  return {
    logger: new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? service }),
    metrics: new Metrics({
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Driftless',
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? service,
    }),
    tracer: new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? service }),
  };
}
