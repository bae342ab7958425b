import { describe, expect, it } from 'vitest';
import { EnsembleConfigError, parseEnsemble, parseServerLine } from '../../src/server/ensemble-config.js';

describe('server.N lines', () => {
  it('read ZooKeeper 3.5+ forms, with the client port after ;', () => {
    expect(parseServerLine(1, 'zk1.example:2888:3888')).toEqual({ id: 1, host: 'zk1.example', quorumPort: 2888, electionPort: 3888, observer: false });
    expect(parseServerLine(2, '127.0.0.1:2889:3889:participant;2182')).toEqual({
      id: 2,
      host: '127.0.0.1',
      quorumPort: 2889,
      electionPort: 3889,
      observer: false,
      clientPort: 2182,
    });
    expect(parseServerLine(3, '[::1]:2890:3890:observer;0.0.0.0:2183')).toEqual({
      id: 3,
      host: '::1',
      quorumPort: 2890,
      electionPort: 3890,
      observer: true,
      clientPort: 2183,
      clientHost: '0.0.0.0',
    });
  });

  it('refuse malformed lines with the line in the message', () => {
    expect(() => parseServerLine(1, 'host:2888')).toThrow(/server\.1=host:2888/);
    expect(() => parseServerLine(1, 'host:2888:notaport')).toThrow(EnsembleConfigError);
    expect(() => parseServerLine(1, 'host:2888:3888:leader')).toThrow(/participant or observer/);
    expect(() => parseServerLine(300, 'host:2888:3888')).toThrow(/0-255/);
  });
});

describe('the ensemble', () => {
  const lines = new Map([
    [1, '127.0.0.1:2888:3888'],
    [2, '127.0.0.1:2889:3889'],
    [3, '127.0.0.1:2890:3890'],
    [4, '127.0.0.1:2891:3891:observer'],
  ]);

  it('splits voters and observers and knows which one it is', () => {
    const ensemble = parseEnsemble(lines, '2\n');
    expect(ensemble.self).toBe(2);
    expect(ensemble.membership).toEqual({ voters: [1, 2, 3], observers: [4] });
  });

  it('needs a myid that names one of the servers, and distinct endpoints', () => {
    expect(() => parseEnsemble(lines, '9')).toThrow(/myid 9 has no server\.9/);
    expect(() => parseEnsemble(lines, 'two')).toThrow(/myid/);
    expect(() => parseEnsemble(new Map([[1, 'h:1:2'], [2, 'h:2:3']]), '1')).toThrow(/used twice/);
  });
});
