import type { KubeObject } from '../kube/object.ts';
import type { Health } from './status.ts';

function hasLoadBalancerIngress(object: KubeObject): boolean {
  const ingress = (object.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)
    ?.loadBalancer?.ingress;
  return Array.isArray(ingress) && ingress.length > 0;
}

/** Only LoadBalancer Services wait for anything: an address from the cloud. */
export function serviceHealth(object: KubeObject): Health {
  if ((object.spec as { type?: string } | undefined)?.type !== 'LoadBalancer')
    return { status: 'Healthy' };
  return hasLoadBalancerIngress(object)
    ? { status: 'Healthy' }
    : { status: 'Progressing', message: 'waiting for a load balancer address' };
}

export function ingressHealth(object: KubeObject): Health {
  return hasLoadBalancerIngress(object)
    ? { status: 'Healthy' }
    : { status: 'Progressing', message: 'waiting for an address' };
}
