import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../shared/kube/errors.ts';

describe('KubeApiError about a Secret', () => {
  const status = {
    message:
      'failed to create typed patch object (n/s; /v1, Kind=Secret): .stringData.password: expected string, got &value.valueUnstructured{Value:"hunter2"}',
    reason: 'InternalError',
  };

  it('withholds the message, also behind a server URL with a path of its own', () => {
    for (const path of [
      '/api/v1/namespaces/n/secrets/s?fieldManager=driftless',
      '/k8s/clusters/c-x/api/v1/namespaces/n/secrets/s',
      '/api/v1/secrets',
    ]) {
      const error = new KubeApiError('PATCH', path, 500, status);
      expect(error.message, path).not.toContain('hunter2');
      expect(error.message, path).toContain('.stringData.password: expected string');
    }
  });

  it('keeps the message of other kinds', () => {
    const error = new KubeApiError('PATCH', '/api/v1/namespaces/n/configmaps/c', 500, status);
    expect(error.message).toContain('hunter2');
  });
});
