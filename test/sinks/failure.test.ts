// One HTTP status → retry kind and failure reason for every sink: the shared
// table itself, and the classifiers that carried their own copy (Slack,
// Elasticsearch) agreeing with it, 425 Too Early included.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '@slack/web-api';
import { classifyItem, classifyRequestError } from '../../src/sinks/elasticsearch/classify.ts';
import { abortReason, statusFailure, statusKind, statusReason } from '../../src/sinks/failure.ts';
import { classifySlackError } from '../../src/sinks/slack/classify.ts';
import { SinkError } from '../../src/sinks/types.ts';

describe('the HTTP status table', () => {
  it('maps every class of status to a kind and a reason', () => {
    const rows = [200, 204, 301, 400, 401, 403, 404, 408, 409, 413, 425, 429, 500, 502, 503].map((s) => [s, statusKind(s), statusReason(s)]);
    assert.deepEqual(rows, [
      [200, undefined, undefined],
      [204, undefined, undefined],
      [301, 'permanent', 'client'],
      [400, 'permanent', 'client'],
      [401, 'permanent', 'auth'],
      [403, 'permanent', 'auth'],
      [404, 'permanent', 'client'],
      [408, 'retryable', 'timeout'],
      [409, 'permanent', 'client'],
      [413, 'permanent', 'client'],
      [425, 'retryable', 'client'],
      [429, 'rate-limited', 'rate-limited'],
      [500, 'retryable', 'server'],
      [502, 'retryable', 'server'],
      [503, 'retryable', 'server'],
    ]);
    assert.deepEqual(statusFailure(401), { kind: 'permanent', reason: 'auth' });
    assert.equal(statusFailure(200), undefined);
  });

  it('an aborted request is a timeout or canceled, anything else no abort', () => {
    assert.equal(abortReason(new DOMException('x', 'TimeoutError')), 'timeout');
    assert.equal(abortReason(new DOMException('x', 'AbortError')), 'canceled');
    assert.equal(abortReason(new Error('ECONNRESET')), undefined);
  });

  it('a SinkError without a reason takes its kind\'s', () => {
    assert.equal(new SinkError('x', { kind: 'permanent' }).reason, 'client');
    assert.equal(new SinkError('x', { kind: 'retryable' }).reason, 'server');
    assert.equal(new SinkError('x', { kind: 'rate-limited' }).reason, 'rate-limited');
    assert.equal(new SinkError('x', { kind: 'retryable', reason: 'network' }).reason, 'network');
  });
});

describe('the classifiers that had their own copy agree with it', () => {
  it('Slack: 425 retries, 401 is auth, invalid_auth is auth, channel_not_found is client', () => {
    const http = (statusCode: number) => classifySlackError({ code: ErrorCode.HTTPError, statusCode }, { sink: 's', what: 'chat.postMessage' });
    assert.deepEqual([http(425).kind, http(425).reason], ['retryable', 'client']);
    assert.deepEqual([http(401).kind, http(401).reason], ['permanent', 'auth']);
    assert.deepEqual([http(503).kind, http(503).reason], ['retryable', 'server']);
    const platform = (error: string) => classifySlackError({ code: ErrorCode.PlatformError, data: { error } }, { sink: 's', what: 'chat.postMessage' });
    assert.deepEqual([platform('invalid_auth').kind, platform('invalid_auth').reason], ['permanent', 'auth']);
    assert.deepEqual([platform('channel_not_found').kind, platform('channel_not_found').reason], ['permanent', 'client']);
    const timedOut = classifySlackError({ code: ErrorCode.RequestError, original: new DOMException('t', 'TimeoutError') }, { sink: 's', what: 'chat.postMessage' });
    assert.deepEqual([timedOut.kind, timedOut.reason], ['retryable', 'timeout']);
  });

  it('Elasticsearch: a 425 item or response retries; 401 is auth; a timeout and a lost connection say so', () => {
    const item = classifyItem('es', { status: 425, error: { type: 'x', reason: 'too early' } });
    assert.equal(item.status, 'failed');
    if (item.status === 'failed') assert.deepEqual([item.error.kind, item.error.reason], ['retryable', 'client']);
    const response = (statusCode: number) => classifyRequestError('es', { name: 'ResponseError', statusCode, body: { error: { type: 'x' } }, headers: {} }, 0);
    assert.deepEqual([response(425).kind, response(425).reason], ['retryable', 'client']);
    assert.deepEqual([response(401).kind, response(401).reason], ['permanent', 'auth']);
    assert.equal(classifyRequestError('es', { name: 'TimeoutError', message: 'Request timed out' }, 0).reason, 'timeout');
    assert.equal(classifyRequestError('es', { name: 'ConnectionError', message: 'connect ECONNREFUSED' }, 0).reason, 'network');
    assert.equal(classifyRequestError('es', { name: 'RequestAbortedError', message: 'aborted' }, 0).reason, 'canceled');
  });
});
