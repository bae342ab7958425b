import { describe, expect, it } from 'vitest';
import {
  authenticate,
  checkACL,
  digest,
  fixupACL,
  formatPerms,
  ipIdentity,
  isSuper,
  parsePerms,
  redactACL,
  type AuthId,
} from '../../src/core/acl.js';
import { KeeperError } from '../../src/core/errors.js';
import { CREATOR_ALL_ACL, OPEN_ACL_UNSAFE, Perms, READ_ACL_UNSAFE, type ACL } from '../../src/core/types.js';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

// echo -n 'user:password' | openssl dgst -binary -sha1 | openssl base64
const USER_PASSWORD_HASH = 'tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=';
// echo -n 'super:superpw' | openssl dgst -binary -sha1 | openssl base64
const SUPER_SUPERPW_HASH = 'g9oN2HttPfn8MMWJZ2r45Np/LIA=';
// echo -n 'bob:secret' | openssl dgst -binary -sha1 | openssl base64
const BOB_SECRET_HASH = 'fyVmFCwVbTJYrznoSu1koqYEYF0=';
// printf '%s' 'jörg:pässwörd' | openssl dgst -binary -sha1 | openssl base64   (UTF-8 terminal)
const UTF8_HASH = 'mnYDsH6V3vPsnN06468VcbUo34M=';
// printf '%s' 'alice:pa:ss' | openssl dgst -binary -sha1 | openssl base64
const COLON_PASSWORD_HASH = 'Xm0T4kmWgo7kHgMxxjDH/S43rxM=';

const BOB: AuthId = { scheme: 'digest', id: `bob:${BOB_SECRET_HASH}` };
const SUPER_DIGEST = `super:${SUPER_SUPERPW_HASH}`;

function caught(action: () => unknown): KeeperError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(KeeperError);
    return error as KeeperError;
  }
  throw new Error('expected a KeeperError');
}

function entry(perms: number, scheme: string, id: string): ACL {
  return { perms, id: { scheme, id } };
}

describe('digest', () => {
  it('matches the openssl vectors, as DigestAuthenticationProvider.generateDigest', () => {
    expect(digest('user', 'password')).toBe(`user:${USER_PASSWORD_HASH}`);
    expect(digest('super', 'superpw')).toBe(SUPER_DIGEST);
    expect(digest('bob', 'secret')).toBe(BOB.id);
    expect(digest('jörg', 'pässwörd')).toBe(`jörg:${UTF8_HASH}`);
  });

  it('hashes a password containing colons whole', () => {
    expect(digest('alice', 'pa:ss')).toBe(`alice:${COLON_PASSWORD_HASH}`);
  });
});

describe('authenticate', () => {
  it('turns digest credentials into a digest identity', () => {
    expect(authenticate('digest', encode('bob:secret'))).toEqual(BOB);
    expect(authenticate('digest', encode('alice:pa:ss'))).toEqual({ scheme: 'digest', id: `alice:${COLON_PASSWORD_HASH}` });
  });

  it('fails for malformed credentials', () => {
    for (const credentials of ['bobsecret', ':secret', '']) {
      expect(caught(() => authenticate('digest', encode(credentials))).codeName).toBe('AuthFailed');
    }
    expect(caught(() => authenticate('digest', new Uint8Array([0x62, 0x3a, 0xff]))).code).toBe(-115);
  });

  it('fails for schemes that cannot be added with addAuth', () => {
    for (const scheme of ['ip', 'world', 'super', 'auth', 'sasl']) {
      expect(caught(() => authenticate(scheme, encode('bob:secret'))).codeName).toBe('AuthFailed');
    }
  });
});

describe('isSuper', () => {
  it('is true for a digest identity equal to the configured super digest, or a super id a transport granted', () => {
    const superUser = authenticate('digest', encode('super:superpw'));
    expect(isSuper([superUser], SUPER_DIGEST)).toBe(true);
    expect(isSuper([{ scheme: 'ip', id: '127.0.0.1' }, superUser], SUPER_DIGEST)).toBe(true);
    expect(isSuper([authenticate('digest', encode('super:wrong'))], SUPER_DIGEST)).toBe(false);
    expect(isSuper([superUser], undefined)).toBe(false);
    // Only a transport grants `super` (a client certificate naming X509AuthenticationProvider.superUser):
    // addAuth cannot, and no ACL may name the scheme.
    expect(isSuper([{ scheme: 'super', id: 'CN=admin' }], undefined)).toBe(true);
    expect(() => authenticate('super', encode('CN=admin'))).toThrow();
    expect(isSuper([{ scheme: 'x509', id: 'CN=admin' }], SUPER_DIGEST)).toBe(false);
  });
});

describe('checkACL', () => {
  it('grants everything on an empty ACL', () => {
    expect(checkACL([], Perms.ADMIN, [])).toBe(true);
  });

  it('grants world:anyone the listed perms only', () => {
    expect(checkACL(READ_ACL_UNSAFE, Perms.READ, [])).toBe(true);
    expect(checkACL(READ_ACL_UNSAFE, Perms.WRITE, [])).toBe(false);
    expect(checkACL(OPEN_ACL_UNSAFE, Perms.ADMIN, [])).toBe(true);
    expect(checkACL([entry(Perms.ALL, 'world', 'someone')], Perms.READ, [])).toBe(false);
  });

  it('grants when any requested bit is allowed, as ZooKeeper does for READ|ADMIN', () => {
    expect(checkACL(READ_ACL_UNSAFE, Perms.READ | Perms.ADMIN, [])).toBe(true);
  });

  it('matches digest ids exactly', () => {
    const acl = [entry(Perms.READ, 'digest', BOB.id)];
    expect(checkACL(acl, Perms.READ, [BOB])).toBe(true);
    expect(checkACL(acl, Perms.READ, [{ scheme: 'digest', id: digest('bob', 'other') }])).toBe(false);
    expect(checkACL(acl, Perms.READ, [{ scheme: 'ip', id: BOB.id }])).toBe(false);
    expect(checkACL(acl, Perms.WRITE, [BOB])).toBe(false);
  });

  it('lets the super user through any ACL', () => {
    const acl = [entry(Perms.READ, 'digest', BOB.id)];
    const superUser = authenticate('digest', encode('super:superpw'));
    expect(checkACL(acl, Perms.ADMIN, [superUser], SUPER_DIGEST)).toBe(true);
    expect(checkACL(acl, Perms.ADMIN, [superUser])).toBe(false);
  });

  it('never matches stored auth or unknown schemes', () => {
    expect(checkACL([...CREATOR_ALL_ACL], Perms.READ, [BOB])).toBe(false);
    expect(checkACL([entry(Perms.ALL, 'super', '')], Perms.READ, [BOB])).toBe(false);
  });

  describe('ip', () => {
    const allows = (expression: string, address: string): boolean =>
      checkACL([entry(Perms.READ, 'ip', expression)], Perms.READ, [{ scheme: 'ip', id: address }]);

    it('matches an exact IPv4 address', () => {
      expect(allows('127.0.0.1', '127.0.0.1')).toBe(true);
      expect(allows('127.0.0.1', '127.0.0.2')).toBe(false);
    });

    it('matches IPv4 CIDR ranges bit by bit', () => {
      expect(allows('10.0.0.0/8', '10.200.3.4')).toBe(true);
      expect(allows('10.0.0.0/8', '11.0.0.1')).toBe(false);
      expect(allows('192.168.1.0/25', '192.168.1.127')).toBe(true);
      expect(allows('192.168.1.0/25', '192.168.1.128')).toBe(false);
      expect(allows('10.1.2.3/0', '203.0.113.9')).toBe(true);
      expect(allows('10.1.2.3/32', '10.1.2.3')).toBe(true);
    });

    it('matches IPv6 addresses and ranges', () => {
      expect(allows('::1', '::1')).toBe(true);
      expect(allows('::1', '0:0:0:0:0:0:0:1')).toBe(true);
      expect(allows('::1', '::2')).toBe(false);
      expect(allows('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
      expect(allows('2001:db8::/32', '2001:db9::1')).toBe(false);
      expect(allows('fe80::/10', 'febf::1')).toBe(true);
      expect(allows('fe80::/10', 'fec0::1')).toBe(false);
      expect(allows('2001:DB8::1', '2001:db8::1')).toBe(true);
    });

    it('does not match across address families', () => {
      expect(allows('::/0', '10.0.0.1')).toBe(false);
      expect(allows('0.0.0.0/0', '::1')).toBe(false);
    });

    it('treats an IPv4-mapped client address as IPv4', () => {
      expect(allows('10.0.0.0/8', '::ffff:10.1.2.3')).toBe(true);
      expect(allows('127.0.0.1', '::ffff:7f00:1')).toBe(true);
    });

    it('never matches a malformed entry', () => {
      for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0/8', '256.0.0.1', 'localhost', '::1/129', '1::2::3', '12345::1', '10.0.0.0/-1', '+1.0.0.1']) {
        expect(allows(bad, '10.0.0.1')).toBe(false);
      }
    });
  });
});

describe('ipIdentity', () => {
  it('unmaps IPv4-mapped addresses and drops IPv6 zones', () => {
    expect(ipIdentity('::ffff:127.0.0.1')).toEqual({ scheme: 'ip', id: '127.0.0.1' });
    expect(ipIdentity('fe80::1%eth0')).toEqual({ scheme: 'ip', id: 'fe80::1' });
    expect(ipIdentity('::1')).toEqual({ scheme: 'ip', id: '::1' });
  });
});

describe('fixupACL', () => {
  const ip: AuthId = { scheme: 'ip', id: '127.0.0.1' };

  it('rejects an empty ACL', () => {
    const error = caught(() => fixupACL('/a', [BOB], []));
    expect(error.codeName).toBe('InvalidACL');
    expect(error.code).toBe(-114);
    expect(error.path).toBe('/a');
  });

  it('keeps world:anyone, digest and ip entries', () => {
    const acl = [entry(Perms.READ, 'world', 'anyone'), entry(Perms.ALL, 'digest', BOB.id), entry(Perms.WRITE, 'ip', '10.0.0.0/8'), entry(0, 'ip', '::1')];
    expect(fixupACL('/a', [], acl)).toEqual(acl);
  });

  it('expands auth into every digest identity of the session, never an ip one', () => {
    const alice: AuthId = { scheme: 'digest', id: digest('alice', 'pw') };
    expect(fixupACL('/a', [ip, BOB, alice], [...CREATOR_ALL_ACL])).toEqual([
      { perms: Perms.ALL, id: BOB },
      { perms: Perms.ALL, id: alice },
    ]);
  });

  it('rejects auth when the session has no authenticated identity', () => {
    expect(caught(() => fixupACL('/a', [], [...CREATOR_ALL_ACL])).codeName).toBe('InvalidACL');
    expect(caught(() => fixupACL('/a', [ip], [...CREATOR_ALL_ACL])).codeName).toBe('InvalidACL');
  });

  it('rejects perms outside 0..31', () => {
    for (const perms of [32, -1, 1.5, Number.NaN]) {
      expect(caught(() => fixupACL('/a', [], [entry(perms, 'world', 'anyone')])).codeName).toBe('InvalidACL');
    }
  });

  it('rejects entries without an id', () => {
    const broken = [null, { perms: Perms.READ }, { perms: Perms.READ, id: { scheme: 'world' } }] as unknown as ACL[];
    for (const bad of broken) expect(caught(() => fixupACL('/a', [], [bad])).codeName).toBe('InvalidACL');
  });

  it('accepts world only with the id anyone', () => {
    expect(caught(() => fixupACL('/a', [], [entry(Perms.READ, 'world', 'everyone')])).codeName).toBe('InvalidACL');
  });

  it('validates digest ids like ZooKeeper (exactly two parts once trailing empties are dropped)', () => {
    for (const id of ['bob', 'bob:', 'a:b:c', '']) {
      expect(caught(() => fixupACL('/a', [], [entry(Perms.READ, 'digest', id)])).codeName).toBe('InvalidACL');
    }
    for (const id of ['bob:hash', ':hash', 'bob:hash:']) {
      expect(() => fixupACL('/a', [], [entry(Perms.READ, 'digest', id)])).not.toThrow();
    }
  });

  it('validates ip ids', () => {
    for (const id of ['10.0.0.0/33', 'localhost', '1.2.3', '::1/200', '']) {
      expect(caught(() => fixupACL('/a', [], [entry(Perms.READ, 'ip', id)])).codeName).toBe('InvalidACL');
    }
  });

  it('rejects unknown schemes, including super', () => {
    for (const scheme of ['super', 'sasl', 'nope']) {
      expect(caught(() => fixupACL('/a', [BOB], [entry(Perms.READ, scheme, 'x')])).codeName).toBe('InvalidACL');
    }
  });

  it('x509: the subject DN of a verified client certificate, matched exactly, and an authenticated identity for auth', () => {
    const alice: AuthId = { scheme: 'x509', id: 'CN=alice,O=Cairn tests' };
    const aliceOnly = [entry(Perms.ALL, 'x509', 'CN=alice,O=Cairn tests')];
    expect(fixupACL('/a', [alice], aliceOnly)).toEqual(aliceOnly);
    expect(checkACL(aliceOnly, Perms.READ, [alice])).toBe(true);
    expect(checkACL(aliceOnly, Perms.READ, [{ scheme: 'x509', id: 'CN=alice' }])).toBe(false);
    expect(checkACL(aliceOnly, Perms.READ, [{ scheme: 'digest', id: 'CN=alice,O=Cairn tests' }])).toBe(false);
    expect(fixupACL('/a', [{ scheme: 'ip', id: '127.0.0.1' }, alice], CREATOR_ALL_ACL)).toEqual(aliceOnly);
    expect(caught(() => fixupACL('/a', [alice], [entry(Perms.ALL, 'x509', '')])).codeName).toBe('InvalidACL');
  });

  it('drops duplicate requested entries but not duplicates made by expansion', () => {
    const open = entry(Perms.ALL, 'world', 'anyone');
    expect(fixupACL('/a', [], [open, { ...open, id: { ...open.id } }])).toEqual([open]);
    const explicitBob = entry(Perms.ALL, 'digest', BOB.id);
    expect(fixupACL('/a', [BOB], [explicitBob, ...CREATOR_ALL_ACL])).toEqual([explicitBob, explicitBob]);
  });

  it('returns copies the caller cannot alter through the request', () => {
    const requested = [entry(Perms.READ, 'world', 'anyone')];
    const fixed = fixupACL('/a', [], requested);
    requested[0]!.id.id = 'changed';
    expect(fixed[0]!.id.id).toBe('anyone');
  });
});

describe('redactACL', () => {
  it('hides digest hashes as user:x and leaves other entries alone', () => {
    const acl = [entry(Perms.ALL, 'digest', BOB.id), entry(Perms.READ, 'world', 'anyone'), entry(Perms.READ, 'ip', '10.0.0.0/8')];
    expect(redactACL(acl)).toEqual([entry(Perms.ALL, 'digest', 'bob:x'), entry(Perms.READ, 'world', 'anyone'), entry(Perms.READ, 'ip', '10.0.0.0/8')]);
    expect(acl[0]!.id.id).toBe(BOB.id);
  });
});

describe('permission strings', () => {
  it('formats in zkCli order cdrwa', () => {
    expect(formatPerms(Perms.ALL)).toBe('cdrwa');
    expect(formatPerms(Perms.READ | Perms.ADMIN)).toBe('ra');
    expect(formatPerms(0)).toBe('');
  });

  it('parses letters in any order', () => {
    expect(parsePerms('crwda')).toBe(Perms.ALL);
    expect(parsePerms('r')).toBe(Perms.READ);
    expect(parsePerms('')).toBe(0);
    expect(parsePerms(formatPerms(Perms.WRITE | Perms.CREATE))).toBe(Perms.WRITE | Perms.CREATE);
  });

  it('rejects unknown letters', () => {
    expect(caught(() => parsePerms('rx')).codeName).toBe('BadArguments');
  });
});
