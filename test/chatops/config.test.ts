// The `chatops:` section refuses what would leave a platform unable to
// start or a command path unsafe, each problem with its file and line.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfigText } from '../../src/config/index.ts';
import { configErrors as errorsOf, yaml } from '../helpers/config-errors.ts';

describe('chatops config', () => {
  it('valid: platforms, channels with their namespaces, identities by id and by Slack e-mail', () => {
    const cfg = parseConfigText(
      yaml(
        'chatops:',
        '  defaultNamespace: shop',
        '  slack:',
        '    enabled: true',
        '    botTokenFrom: {env: SLACK_BOT_TOKEN}',
        '    appTokenFrom: {env: SLACK_APP_TOKEN}',
        '    channels: [{id: C0OPS, namespace: payments}, {id: D0DM}]',
        '  telegram: {enabled: true, tokenFrom: {file: /run/secrets/tg}, chats: [{id: "-1001234567890"}]}',
        '  identities:',
        '    - {platform: slack, user: U01ALICE, kubernetes: {user: alice@corp, groups: [payments]}}',
        '    - {platform: slack, email: Bob@Corp.example, kubernetes: {user: bob@corp}}',
        '    - {platform: telegram, user: "4242", kubernetes: {user: carol@corp}}',
        '  identityResources: true',
      ),
      'k.yaml',
    ).chatops;
    assert.equal(cfg.slack.mode, 'socket');
    assert.deepEqual(cfg.slack.channels, [{ id: 'C0OPS', namespace: 'payments' }, { id: 'D0DM' }]);
    assert.deepEqual(cfg.identities[1], { platform: 'slack', email: 'Bob@Corp.example', kubernetes: { user: 'bob@corp', groups: [] } });
  });

  it('each mode names the token or secret it is missing, at the line of the section that lacks it', () => {
    assert.deepEqual(errorsOf(yaml('chatops:', '  slack:', '    enabled: true')), [
      'k.yaml:2: chatops.slack.botTokenFrom: required when slack is enabled: the bot token (xoxb-…) replies are posted with',
      'k.yaml:2: chatops.slack.appTokenFrom: required in socket mode: the app-level token (xapp-…) with connections:write',
    ]);
    assert.deepEqual(errorsOf(yaml('chatops:', '  slack: {enabled: true, mode: http, botTokenFrom: {env: B}, appTokenFrom: {env: A}}')), [
      'k.yaml:2: chatops.slack.signingSecretFrom: required in http mode: without the signing secret anyone could post commands',
    ]);
    assert.deepEqual(errorsOf(yaml('chatops:', '  telegram: {enabled: true}')), ['k.yaml:2: chatops.telegram.tokenFrom: required when telegram is enabled: the bot token from @BotFather']);
    assert.deepEqual(errorsOf(yaml('chatops:', '  telegram:', '    enabled: true', '    tokenFrom: {env: T}', '    mode: webhook')), [
      'k.yaml:2: chatops.telegram.webhook.url: required in webhook mode: the public URL Telegram posts updates to',
      'k.yaml:2: chatops.telegram.webhook.secretTokenFrom: required in webhook mode: without it anyone could post updates',
    ]);
    // a disabled platform may be half-configured
    assert.equal(parseConfigText(yaml('chatops:', '  slack: {mode: http}'), 'k.yaml').chatops.slack.enabled, false);
  });

  it("a channel's default cluster: one of the configured clusters, by a name chat could type", () => {
    const two = parseConfigText(yaml('clusters: [{name: home}, {name: prod-eu_1}]', 'chatops:', '  slack:', '    channels: [{id: C1, cluster: prod-eu_1}, {id: C2}]', '  telegram: {chats: [{id: "-1", cluster: home}]}'), 'k.yaml').chatops;
    assert.deepEqual(two.slack.channels, [{ id: 'C1', cluster: 'prod-eu_1' }, { id: 'C2' }]);
    assert.deepEqual(errorsOf(yaml('clusters: [{name: home}, {name: prod}]', 'chatops:', '  slack:', '    channels: [{id: C1, cluster: staging}]')), [
      'k.yaml:4: chatops.slack.channels[0].cluster: no cluster named "staging"; clusters: home, prod',
    ]);
    // `cluster:` alone is one cluster, named by cluster.name
    assert.deepEqual(errorsOf(yaml('cluster: {name: sim}', 'chatops:', '  telegram:', '    chats: [{id: "-1", cluster: b}]')), ['k.yaml:4: chatops.telegram.chats[0].cluster: no cluster named "b"; clusters: sim']);
    assert.equal(parseConfigText(yaml('cluster: {name: sim}', 'chatops:', '  telegram: {chats: [{id: "-1", cluster: sim}]}'), 'k.yaml').chatops.telegram.chats[0].cluster, 'sim');
    assert.match(errorsOf(yaml('chatops:', '  slack:', '    channels: [{id: C1, cluster: "a b"}]'))[0], /chatops\.slack\.channels\[0\]\.cluster: expected a cluster's name/);
  });

  it('e-mail only on Slack; exactly one of user or email', () => {
    assert.deepEqual(errorsOf(yaml('chatops:', '  identities:', '    - platform: telegram', '      email: bob@corp.example', '      kubernetes: {user: bob}')), [
      'k.yaml:4: chatops.identities[0].email: only Slack verifies e-mail addresses; give the user id for this platform',
    ]);
    assert.deepEqual(errorsOf(yaml('chatops:', '  identities:', '    - {platform: slack, kubernetes: {user: bob}}')), [
      'k.yaml:3: chatops.identities[0].user: expected exactly one of user (the platform user id) or email',
    ]);
    assert.deepEqual(errorsOf(yaml('chatops:', '  identities:', '    - {platform: slack, user: U1, email: a@b.example, kubernetes: {user: bob}}')), [
      'k.yaml:3: chatops.identities[0].user: expected exactly one of user (the platform user id) or email',
    ]);
  });

  it('system: users and groups are refused at their line', () => {
    assert.deepEqual(
      errorsOf(
        yaml(
          'chatops:',
          '  identities:',
          '    - platform: slack',
          '      user: U1',
          '      kubernetes:',
          '        user: system:admin',
          '    - platform: console',
          '      user: ops',
          '      kubernetes:',
          '        user: ops@corp',
          '        groups:',
          '          - ops',
          '          - system:masters',
        ),
      ),
      [
        'k.yaml:6: chatops.identities[0].kubernetes.user: refusing to map a chat user to the system: identity "system:admin"',
        'k.yaml:13: chatops.identities[1].kubernetes.groups[1]: refusing to map a chat user into the system: group "system:masters"',
      ],
    );
  });

  it('one chat user mapped twice is an error at the second mapping (e-mails compared ignoring case)', () => {
    assert.deepEqual(
      errorsOf(
        yaml(
          'chatops:',
          '  identities:',
          '    - {platform: slack, user: U1, kubernetes: {user: a}}',
          '    - {platform: telegram, user: U1, kubernetes: {user: b}}',
          '    - {platform: slack, email: A@corp.example, kubernetes: {user: c}}',
          '    - platform: slack',
          '      user: U1',
          '      kubernetes: {user: admin}',
          '    - {platform: slack, email: a@CORP.example, kubernetes: {user: d}}',
        ),
      ),
      ['k.yaml:7: chatops.identities[3].user: maps slack user U1 again (identities[0] already does)', 'k.yaml:9: chatops.identities[4].email: maps slack e-mail a@CORP.example again (identities[2] already does)'],
    );
  });

  it('unknown keys, with a suggestion; names where ids belong; a bad namespace', () => {
    assert.deepEqual(errorsOf(yaml('chatops:', '  slak: {enabled: true}', '  identites: []')), [
      'k.yaml:2: chatops.slak: unknown key; did you mean "slack"?',
      'k.yaml:3: chatops.identites: unknown key; did you mean "identities"?',
    ]);
    assert.deepEqual(errorsOf(yaml('chatops:', '  identities:', '    - {platform: slack, user: U1, kubernetes: {user: a, group: [x]}}')), [
      'k.yaml:3: chatops.identities[0].kubernetes.group: unknown key; did you mean "groups"?',
    ]);
    const channel = errorsOf(yaml('chatops:', '  slack:', '    channels:', '      - id: "#ops"', '        namespace: Payments'));
    assert.equal(channel.length, 2);
    assert.match(channel[0], /^k\.yaml:4: chatops\.slack\.channels\[0\]\.id: expected a channel\/chat id \(Slack C0123ABCD, Telegram -1001234567890\), not a name/);
    assert.match(channel[1], /^k\.yaml:5: chatops\.slack\.channels\[0\]\.namespace: expected a namespace name \(DNS-1123 label\)/);
    assert.match(errorsOf(yaml('chatops:', '  identities:', '    - {platform: irc, user: n, kubernetes: {user: a}}'))[0], /^k\.yaml:3: chatops\.identities\[0\]\.platform: expected one of slack, telegram, console/);
  });
});
