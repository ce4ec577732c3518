import { apiKeyMatchesHash, generateApiKey, hashApiKey, parseApiKey } from './api-key';
import { generateAgentToken, parseAgentToken } from './agent-token';
import { roleAllows } from './principal';

describe('api keys', () => {
  it('generates keys in the documented format with a matching prefix and hash', () => {
    const { key, prefix, hash } = generateApiKey();
    expect(key).toMatch(/^sc_[A-Za-z0-9]{8}_[A-Za-z0-9]{32}$/);
    expect(key.startsWith(`sc_${prefix}_`)).toBe(true);
    expect(hash).toBe(hashApiKey(key));
    expect(hash).not.toContain(key.slice(12));
  });

  it('generates distinct keys', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey().key));
    expect(keys.size).toBe(200);
  });

  it('parses the prefix and rejects anything else', () => {
    const { key, prefix } = generateApiKey();
    expect(parseApiKey(key)).toEqual({ prefix });
    for (const bad of ['', 'sc_', 'sc_short_x', `xx_${prefix}_${'a'.repeat(32)}`, `sc_${prefix}_${'a'.repeat(31)}`, `${key} `]) {
      expect(parseApiKey(bad)).toBeNull();
    }
  });

  it('matches a key only against its own hash', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(apiKeyMatchesHash(a.key, a.hash)).toBe(true);
    expect(apiKeyMatchesHash(a.key, b.hash)).toBe(false);
    expect(apiKeyMatchesHash(a.key, 'not-hex')).toBe(false);
  });
});

describe('roles', () => {
  it('orders viewer < operator < admin', () => {
    expect(roleAllows('admin', 'operator')).toBe(true);
    expect(roleAllows('operator', 'operator')).toBe(true);
    expect(roleAllows('viewer', 'operator')).toBe(false);
    expect(roleAllows('operator', 'admin')).toBe(false);
    expect(roleAllows('viewer', 'viewer')).toBe(true);
  });
});

describe('agent tokens', () => {
  it('are told apart from api keys', () => {
    const agent = generateAgentToken();
    expect(agent.token).toMatch(/^sa_[A-Za-z0-9]{8}_[A-Za-z0-9]{32}$/);
    expect(parseAgentToken(agent.token)).toEqual({ prefix: agent.prefix });
    expect(parseApiKey(agent.token)).toBeNull();
    expect(parseAgentToken(generateApiKey().key)).toBeNull();
    expect(apiKeyMatchesHash(agent.token, agent.hash)).toBe(true);
  });
});
