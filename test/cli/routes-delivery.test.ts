// `routes test`'s delivery preview: the pipeline's own answer for what each
// sink's settings do with the notifications given, in order.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDelivery, previewDelivery } from '../../src/cli/routes-delivery.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { State } from '../../src/model/notification.ts';
import { tableFromConfig } from '../../src/rules/index.ts';
import { note, T0 } from '../pipeline/helpers.ts';

const config = parseConfigText(
  [
    'sinks:',
    '  - {name: chat, type: slack, tokenFrom: {env: T}, channel: C1}',
    '  - {name: file, type: jsonl, path: out.jsonl}',
    '  - {name: ungrouped, type: teams, urlFrom: {env: U}, delivery: {groupBy: []}}',
  ].join('\n'),
  'k.yaml',
);
const table = tableFromConfig(config);

describe('routes test: what delivery does', () => {
  it('says, per sink, which notifications go out at once, wait in a new group, or fold into one that went out', () => {
    const ns = [note({ pod: 'web-1', time: T0 }), note({ pod: 'web-2', time: T0 + 1000 }), note({ pod: 'web-3', time: T0 + 20_000 }), note({ pod: 'web-1', state: State.RESOLVED, time: T0 + 30_000 })];
    const steps = previewDelivery(config, ns, (n) => table.explain(n), T0);
    const chat = steps.map((s) => s.find((x) => x.sink === 'config/chat')!);
    assert.deepEqual(
      chat.map((s) => [s.outcome, s.dueInSeconds]),
      [
        ['grouped', 10],
        ['grouped', 9],
        ['folded', 290],
        ['folded', 280],
      ],
    );
    assert.equal(chat[2].byFlood, true, 'web-3 is a repeat of the occurrence web-1 started');
    assert.match(chat[2].what, /^folded into a group that already went out \(the first of the same occurrence\): it comes with that group’s next update, in 290 s$/);
    for (const s of steps) assert.deepEqual(s.find((x) => x.sink === 'config/file'), { sink: 'config/file', outcome: 'queued', dueInSeconds: 0, what: 'sent on its own, at once (a record sink never groups or folds)' });
    for (const s of steps) assert.equal(s.find((x) => x.sink === 'config/ungrouped')!.outcome, 'queued');
    assert.equal(
      formatDelivery(steps[0]),
      [
        'delivery:',
        '  config/chat: held in a new group: its first message goes out in 10 s, with whatever joins it meanwhile',
        '  config/file: sent on its own, at once (a record sink never groups or folds)',
        '  config/ungrouped: sent on its own, at once',
        '',
      ].join('\n'),
    );
  });

  it('a notification given twice is one the sink already had; a sink it was not routed to is not listed', () => {
    const n = note({ pod: 'api-1', owner: 'api' });
    const steps = previewDelivery(config, [n, n], (x) => ({ ...table.explain(x), sinks: ['config/file', 'Sink/shop/hook'] }), T0);
    assert.deepEqual(
      steps.map((s) => s.map((x) => `${x.sink} ${x.outcome}`)),
      [
        ['config/file queued', 'Sink/shop/hook not previewed'],
        ['config/file deduplicated', 'Sink/shop/hook not previewed'],
      ],
    );
  });
});
