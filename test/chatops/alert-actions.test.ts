// The chat side of alert buttons: a known id with a value of Kubernetes
// names becomes one command text; anything else claiming the `kh:` prefix is
// refused, and ids of other buttons are left to the rest of the service.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertCommand, isAlertAction } from '../../src/chatops/alert-actions.ts';
import { parseCommand } from '../../src/chatops/grammar.ts';

describe('alertCommand', () => {
  it('turns each known button into the command a person would type', () => {
    const cases: [string, string, string][] = [
      ['kh:logs-previous', 'demo/web-1/app', 'logs web-1 -n demo -c app --previous --tail 100'],
      ['kh:logs-previous', 'demo/web-1', 'logs web-1 -n demo --previous --tail 100'],
      ['kh:logs', 'demo/web-1/app', 'logs web-1 -n demo -c app --tail 100'],
      ['kh:describe-pod', 'demo/web-1', 'describe pod web-1 -n demo'],
      ['kh:events-pod', 'demo/web-1', 'events -n demo --for pod/web-1'],
      ['kh:restart', 'demo/web', 'restart deployment web -n demo'],
      ['kh:describe-node', 'sim-node-1.example.com', 'describe node sim-node-1.example.com'],
      ['kh:cordon', 'sim-node-1', 'cordon sim-node-1'],
      // the alert's cluster, which the service checks against the config
      ['kh:restart', 'demo/web@prod-eu_1', 'restart deployment web -n demo --cluster prod-eu_1'],
      ['kh:logs-previous', 'demo/web-1/app@B.2', 'logs web-1 -n demo -c app --previous --tail 100 --cluster B.2'],
      ['kh:cordon', 'sim-node-1@b', 'cordon sim-node-1 --cluster b'],
    ];
    for (const [id, value, text] of cases) {
      assert.deepEqual(alertCommand(id, value), { ok: true, text }, `${id} ${value}`);
      assert.ok(parseCommand(text).ok, text);
    }
  });

  it('leaves other buttons (requests, confirmations) alone', () => {
    assert.equal(alertCommand('confirm', 'r-123'), undefined);
    assert.equal(alertCommand('approve', 'demo/web'), undefined);
    assert.equal(isAlertAction('kh:anything'), true);
    assert.equal(isAlertAction('KH:logs'), false);
  });

  it('refuses hostile and malformed values: nothing to run', () => {
    const hostile: [string, string][] = [
      ['kh:delete', 'demo/web-1'],
      ['kh:scale', 'demo/web/0'],
      ['kh:', 'demo/web'],
      ['kh:logs-previous', ''],
      ['kh:logs-previous', 'demo'],
      ['kh:logs-previous', 'demo/web-1/app/extra'],
      ['kh:logs-previous', 'demo/web-1 --tail 10000'],
      ['kh:logs-previous', 'demo/web-1/app -n kube-system'],
      ['kh:describe-pod', 'demo/web-1\nscale deployment web 0'],
      ['kh:describe-pod', '-A/web-1'],
      ['kh:describe-pod', 'Demo/web-1'],
      ['kh:describe-pod', 'demo//web-1'],
      ['kh:describe-pod', 'demo/web-1/'],
      ['kh:describe-pod', '../etc/passwd'],
      ['kh:restart', 'demo/web;rm -rf'],
      ['kh:restart', 'demo/web@'],
      ['kh:restart', 'demo/web@b@c'],
      ['kh:restart', 'demo/web@b --cluster c'],
      ['kh:restart', 'demo/web@-b'],
      ['kh:restart', 'demo/web@b/c'],
      ['kh:restart', '@b'],
      ['kh:cordon', `n1@${'c'.repeat(64)}`],
      ['kh:restart', 'demo/web/extra'],
      ['kh:restart', 'a.b/web'],
      ['kh:cordon', 'demo/sim-node-1'],
      ['kh:cordon', '-A'],
      ['kh:cordon', 'x'.repeat(254)],
      ['kh:describe-node', 'node\u202e1'],
      ['kh:describe-node', 'ｎode'],
      ['kh:logs', `${'n'.repeat(64)}/web`],
      ['kh:logs', `demo/${'p'.repeat(500)}`],
    ];
    for (const [id, value] of hostile) {
      const c = alertCommand(id, value);
      assert.ok(c && !c.ok, `${JSON.stringify(id)} ${JSON.stringify(value)} refused`);
    }
  });
});
