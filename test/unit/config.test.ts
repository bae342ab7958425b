import { describe, expect, it } from 'vitest';
import {
  DEFAULT_JUTE_MAX_BUFFER,
  UsageError,
  defaultServerConfig,
  loadConfig,
  parseServerArgs,
  parseZooCfg,
} from '../../src/server/config.js';

// /etc/zookeeper/conf/zoo.cfg as Debian 12's zookeeper 3.8.0 package ships it, byte for byte
// (including the trailing spaces some comment lines have).
const DEBIAN_ZOO_CFG = [
  '# The number of milliseconds of each tick',
  'tickTime=2000',
  '# The number of ticks that the initial ',
  '# synchronization phase can take',
  'initLimit=10',
  '# The number of ticks that can pass between ',
  '# sending a request and getting an acknowledgement',
  'syncLimit=5',
  '# the directory where the snapshot is stored.',
  '# do not use /tmp for storage, /tmp here is just ',
  '# example sakes.',
  'dataDir=/tmp/zookeeper',
  '# the port at which the clients will connect',
  'clientPort=2181',
  '# the maximum number of client connections.',
  '# increase this if you need to handle more clients',
  '#maxClientCnxns=60',
  '#',
  '# Be sure to read the maintenance section of the ',
  '# administrator guide before turning on autopurge.',
  '#',
  '# https://zookeeper.apache.org/doc/current/zookeeperAdmin.html#sc_maintenance',
  '#',
  '# The number of snapshots to retain in dataDir',
  '#autopurge.snapRetainCount=3',
  '# Purge task interval in hours',
  '# Set to "0" to disable auto purge feature',
  '#autopurge.purgeInterval=1',
  '',
  '## Metrics Providers',
  '#',
  '# https://prometheus.io Metrics Exporter',
  '#metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
  '#metricsProvider.httpHost=0.0.0.0',
  '#metricsProvider.httpPort=7000',
  '#metricsProvider.exportJvmInfo=true',
  '',
  '',
].join('\n');

describe('parseZooCfg', () => {
  it('reads the zoo.cfg Debian ships', () => {
    const { values, servers, warnings } = parseZooCfg(DEBIAN_ZOO_CFG);
    expect([...values]).toEqual([
      ['tickTime', '2000'],
      ['initLimit', '10'],
      ['syncLimit', '5'],
      ['dataDir', '/tmp/zookeeper'],
      ['clientPort', '2181'],
    ]);
    expect(servers.size).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('accepts key=value, key:value and key value, trimming both sides', () => {
    const { values } = parseZooCfg(
      ['a=1', 'b:2', 'c 3', '  d  =  4  ', 'e\t:\t5', 'f = = 6', 'g', 'h=', 'i  x y  '].join('\n'),
    );
    expect(Object.fromEntries(values)).toEqual({
      a: '1', b: '2', c: '3', d: '4', e: '5', f: '= 6', g: '', h: '', i: 'x y',
    });
  });

  it('skips # and ! comments and blank lines, even indented ones', () => {
    const { values } = parseZooCfg('# a=1\n! b=2\n   # c=3\n\t! d=4\n\n   \ne=5 # not a comment\n');
    expect(Object.fromEntries(values)).toEqual({ e: '5 # not a comment' });
  });

  it('joins lines ending in a backslash, dropping the next line\'s indentation', () => {
    const text = [
      'list=a,\\',
      '     b,\\',
      '     c',
      'even=x\\\\', // an escaped backslash: no continuation
      'next=1',
      'cont=\\',
      '# not a comment but the value',
      '# comment \\',
      'after=2',
    ].join('\n');
    expect(Object.fromEntries(parseZooCfg(text).values)).toEqual({
      list: 'a,b,c',
      even: 'x\\',
      next: '1',
      cont: '# not a comment but the value',
      after: '2',
    });
  });

  it('handles CRLF and CR line ends and Java escapes', () => {
    const { values } = parseZooCfg('a=1\r\nb=2\rc=tab\\there\r\nkey\\ with\\ spaces=v\nuni=\\u0041\\u00e9\ncolon\\:key=x');
    expect(Object.fromEntries(values)).toEqual({
      a: '1', b: '2', c: 'tab\there', 'key with spaces': 'v', uni: 'Aé', 'colon:key': 'x',
    });
  });

  it('rejects a malformed \\u escape, as java.util.Properties does', () => {
    expect(() => parseZooCfg('a=\\u12G4')).toThrow(/line 1: malformed \\uxxxx/);
  });

  it('keeps server.N lines apart and the last of duplicate keys', () => {
    const { values, servers, warnings } = parseZooCfg(
      ['server.1=zk1:2888:3888', 'server.2 = zk2:2888:3888;2181', 'server.x=bad', 'tickTime=1000', 'tickTime=3000'].join('\n'),
    );
    expect([...servers]).toEqual([[1, 'zk1:2888:3888'], [2, 'zk2:2888:3888;2181']]);
    expect(values.get('tickTime')).toBe('3000');
    expect(values.has('server.x')).toBe(false);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/line 3: "server.x" ignored/);
    expect(warnings[1]).toMatch(/line 5: "tickTime" is also set on line 4/);
  });
});

describe('loadConfig', () => {
  it('gives ZooKeeper\'s defaults', () => {
    const { config, warnings } = loadConfig({ flags: { dataDir: '/var/lib/cairn' } });
    expect(warnings).toEqual([]);
    expect(config).toEqual({
      tickTimeMs: 2000,
      initLimit: 10,
      syncLimit: 5,
      dataDir: '/var/lib/cairn',
      dataLogDir: '/var/lib/cairn',
      clientPort: 2181,
      clientPortAddress: '0.0.0.0',
      grpcPort: 2182,
      httpPort: 8181,
      maxClientCnxns: 60,
      minSessionTimeoutMs: 4000,
      maxSessionTimeoutMs: 40000,
      snapCount: 100000,
      autopurgeSnapRetainCount: 3,
      autopurgePurgeIntervalHours: 0,
      juteMaxBuffer: 1048575,
      extendedTypesEnabled: false,
      enforceQuota: false,
      fourLetterWordWhitelist: ['srvr'],
      standaloneEnabled: true,
      servers: new Map(),
      superDigest: undefined,
      containerCheckIntervalMs: 60000,
      globalOutstandingLimit: 1000,
      syncHistoryTxns: 10_000,
      httpAllowedOrigins: [],
      httpCommandsAuthRequired: [],
      secureClientPort: null,
      clientTls: null,
      quorumTls: null,
    });
    expect(DEFAULT_JUTE_MAX_BUFFER).toBe(0xfffff);
    expect(defaultServerConfig('/var/lib/cairn')).toEqual(config);
  });

  it('loads Debian\'s sample zoo.cfg without warnings', () => {
    const { config, warnings } = loadConfig({ configFile: DEBIAN_ZOO_CFG, flags: {} });
    expect(warnings).toEqual([]);
    expect(config.dataDir).toBe('/tmp/zookeeper');
    expect(config.dataLogDir).toBe('/tmp/zookeeper');
    expect(config.clientPort).toBe(2181);
    expect(config.tickTimeMs).toBe(2000);
  });

  it('reads every supported key', () => {
    const text = [
      'tickTime=500',
      'initLimit=4',
      'syncLimit=2',
      'dataDir=/d',
      'dataLogDir=/l',
      'clientPort=0',
      'clientPortAddress=127.0.0.1',
      'grpcPort=0',
      'httpPort=0',
      'maxClientCnxns=0',
      'minSessionTimeout=600',
      'maxSessionTimeout=90000',
      'snapCount=5000',
      'autopurge.snapRetainCount=5',
      'autopurge.purgeInterval=24',
      'jute.maxbuffer=4194304',
      'extendedTypesEnabled=TRUE',
      'enforceQuota=true',
      '4lw.commands.whitelist=stat, ruok , conf',
      'standaloneEnabled=false',
      'DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=',
      'znode.container.checkIntervalMs=250',
      'globalOutstandingLimit=77',
      'syncHistoryTxns=50',
      'secureClientPort=0',
      'ssl.keyStore.location=/etc/cairn/server.pem',
      'ssl.keyStore.password=pw',
      'ssl.keyStore.type=PEM',
      'ssl.trustStore.location=/etc/cairn/ca.pem',
      'ssl.trustStore.type=pem',
      'ssl.clientAuth=WANT',
      'sslQuorum=true',
      'ssl.quorum.keyStore.location=/etc/cairn/peer.pem',
      'ssl.quorum.trustStore.location=/etc/cairn/quorum-ca.pem',
      'ssl.quorum.hostnameVerification=false',
      'server.1=127.0.0.1:2888:3888',
    ].join('\n');
    const { config, warnings } = loadConfig({ configFile: text, flags: {} });
    expect(config).toEqual({
      tickTimeMs: 500,
      initLimit: 4,
      syncLimit: 2,
      dataDir: '/d',
      dataLogDir: '/l',
      clientPort: 0,
      clientPortAddress: '127.0.0.1',
      grpcPort: 0,
      httpPort: 0,
      maxClientCnxns: 0,
      minSessionTimeoutMs: 600,
      maxSessionTimeoutMs: 90000,
      snapCount: 5000,
      autopurgeSnapRetainCount: 5,
      autopurgePurgeIntervalHours: 24,
      juteMaxBuffer: 4194304,
      extendedTypesEnabled: true,
      enforceQuota: true,
      fourLetterWordWhitelist: ['stat', 'ruok', 'conf', 'srvr'],
      standaloneEnabled: false,
      servers: new Map([[1, '127.0.0.1:2888:3888']]),
      superDigest: 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=',
      containerCheckIntervalMs: 250,
      globalOutstandingLimit: 77,
      syncHistoryTxns: 50,
      httpAllowedOrigins: [],
      httpCommandsAuthRequired: [],
      secureClientPort: 0,
      clientTls: { keyStoreLocation: '/etc/cairn/server.pem', keyStorePassword: 'pw', trustStoreLocation: '/etc/cairn/ca.pem', clientAuth: 'want' },
      quorumTls: { keyStoreLocation: '/etc/cairn/peer.pem', trustStoreLocation: '/etc/cairn/quorum-ca.pem', clientAuth: 'need', hostnameVerification: false },
    });
    expect(warnings).toEqual([]);
  });

  it('derives session timeout bounds from tickTime and takes -1 as the default', () => {
    const { config } = loadConfig({ configFile: 'tickTime=100\nminSessionTimeout=-1', flags: { dataDir: '/d' } });
    expect(config.minSessionTimeoutMs).toBe(200);
    expect(config.maxSessionTimeoutMs).toBe(2000);
  });

  it('accepts system-property spellings with a zookeeper. prefix', () => {
    const { config, warnings } = loadConfig({
      configFile: [
        'zookeeper.DigestAuthenticationProvider.superDigest=super:abc=',
        'zookeeper.extendedTypesEnabled=true',
        'zookeeper.enforceQuota=true',
        'zookeeper.4lw.commands.whitelist=*',
        'zookeeper.snapCount=10',
      ].join('\n'),
      flags: { dataDir: '/d' },
    });
    expect(warnings).toEqual([]);
    expect(config.superDigest).toBe('super:abc=');
    expect(config.extendedTypesEnabled).toBe(true);
    expect(config.enforceQuota).toBe(true);
    expect(config.fourLetterWordWhitelist).toEqual(['*']);
    expect(config.snapCount).toBe(10);
  });

  it('warns about unknown keys and ZooKeeper keys Cairn does not use, without failing', () => {
    const { config, warnings } = loadConfig({
      configFile: [
        'dataDir=/d',
        'fooBar=1',
        'metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
        'admin.enableServer=false',
        'secureClientPortAddress=0.0.0.0',
        '4lw.commands.whitelist=stat,nope',
      ].join('\n'),
      flags: {},
    });
    expect(config.dataDir).toBe('/d');
    expect(config.fourLetterWordWhitelist).toEqual(['stat', 'nope', 'srvr']);
    expect(warnings).toEqual([
      'unknown configuration key "fooBar" ignored',
      'ignoring ZooKeeper setting "metricsProvider.className": Cairn does not use it',
      'ignoring ZooKeeper setting "admin.enableServer": Cairn does not use it',
      'ignoring ZooKeeper setting "secureClientPortAddress": Cairn does not use it',
      '4lw.commands.whitelist: "nope" is not a known four-letter word',
    ]);
  });

  it('reads ZooKeeper\'s TLS keys: PEM stores only, clientAuth need unless set, secureClientPort only with a key store', () => {
    const tls = (lines: string[]) => loadConfig({ configFile: ['dataDir=/d', ...lines].join('\n'), flags: {} });
    expect(tls(['ssl.keyStore.location=/k.pem']).config.clientTls).toEqual({ keyStoreLocation: '/k.pem', clientAuth: 'need' });
    expect(tls(['ssl.keyStore.location=/k.pem']).config.secureClientPort).toBeNull();
    expect(tls(['zookeeper.ssl.keyStore.location=/k.pem', 'zookeeper.ssl.clientAuth=none']).config.clientTls).toEqual({ keyStoreLocation: '/k.pem', clientAuth: 'none' });
    // A trust store alone serves nothing; its password means nothing for PEM.
    expect(tls(['ssl.trustStore.location=/ca.pem', 'ssl.trustStore.password=x']).config.clientTls).toBeNull();
    expect(() => tls(['secureClientPort=2281'])).toThrow('secureClientPort is set but ssl.keyStore.location is not');
    // As ZooKeeper: with a secure port, plaintext is served only where clientPort (or the flag) asks for it.
    expect(tls(['ssl.keyStore.location=/k.pem', 'secureClientPort=2281']).config).toMatchObject({ clientPort: null, secureClientPort: 2281 });
    expect(tls(['ssl.keyStore.location=/k.pem', 'secureClientPort=2281', 'clientPort=2181']).config).toMatchObject({ clientPort: 2181, secureClientPort: 2281 });
    expect(loadConfig({ configFile: 'dataDir=/d\nssl.keyStore.location=/k.pem\nsecureClientPort=2281', flags: { clientPort: 0 } }).config.clientPort).toBe(0);
    expect(() => tls(['ssl.keyStore.location=/k.jks'])).toThrow(/k\.jks is a JKS store; Cairn reads PEM only/);
    expect(() => tls(['ssl.keyStore.location=/k.pem', 'ssl.keyStore.type=PKCS12'])).toThrow(/PKCS12 store; Cairn reads PEM only/);
    expect(() => tls(['ssl.keyStore.location=/k.pem', 'ssl.keyStore.type=DER'])).toThrow(/ssl\.keyStore\.type/);
    expect(() => tls(['ssl.keyStore.location=/k.pem', 'ssl.clientAuth=sometimes'])).toThrow(/expected none, want or need/);
    expect(() => tls(['ssl.keyStore.location=/k.pem', 'clientPort=2181', 'secureClientPort=2181'])).toThrow('clientPort and secureClientPort are both 2181');
    // TLS between servers: only with sslQuorum=true, which needs both quorum stores (no fallback to the client's).
    expect(tls(['ssl.quorum.keyStore.location=/q.pem']).config.quorumTls).toBeNull();
    expect(tls(['sslQuorum=true', 'ssl.quorum.keyStore.location=/q.pem', 'ssl.quorum.trustStore.location=/ca.pem']).config.quorumTls).toEqual({
      keyStoreLocation: '/q.pem',
      trustStoreLocation: '/ca.pem',
      clientAuth: 'need',
      hostnameVerification: true,
    });
    expect(() => tls(['sslQuorum=true', 'ssl.keyStore.location=/k.pem', 'ssl.trustStore.location=/ca.pem'])).toThrow(/sslQuorum=true needs ssl\.quorum\.keyStore\.location/);
    expect(tls(['sslQuorumReloadCertFiles=true']).warnings).toEqual(['ignoring ZooKeeper setting "sslQuorumReloadCertFiles": Cairn does not use it']);
  });

  it('lets flags override the file', () => {
    const { config } = loadConfig({
      configFile: 'dataDir=/from/file\nclientPort=3000\ngrpcPort=3001\nhttpPort=3002\n',
      flags: { dataDir: '/from/flag', clientPort: 4000, grpcPort: 0, httpPort: 4002 },
    });
    expect(config.dataDir).toBe('/from/flag');
    expect(config.dataLogDir).toBe('/from/flag');
    expect(config.clientPort).toBe(4000);
    expect(config.grpcPort).toBe(0);
    expect(config.httpPort).toBe(4002);
  });

  it('keeps an explicit dataLogDir when --data-dir overrides dataDir', () => {
    const { config } = loadConfig({ configFile: 'dataDir=/a\ndataLogDir=/log', flags: { dataDir: '/b' } });
    expect(config.dataDir).toBe('/b');
    expect(config.dataLogDir).toBe('/log');
  });

  it('clamps snapCount and autopurge.snapRetainCount as ZooKeeper does, with a warning', () => {
    const { config, warnings } = loadConfig({ configFile: 'snapCount=1\nautopurge.snapRetainCount=1', flags: { dataDir: '/d' } });
    expect(config.snapCount).toBe(2);
    expect(config.autopurgeSnapRetainCount).toBe(3);
    expect(warnings).toEqual(['snapCount 1 is below 2; using 2', 'autopurge.snapRetainCount 1 is below 3; using 3']);
  });

  it.each([
    ['clientPort=abc', /invalid value for clientPort: "abc"/],
    ['clientPort=65536', /invalid value for clientPort: "65536"/],
    ['grpcPort=-1', /invalid value for grpcPort: "-1"/],
    ['httpPort=80.5', /invalid value for httpPort: "80.5"/],
    ['tickTime=0', /invalid value for tickTime: "0"/],
    ['tickTime=', /invalid value for tickTime: ""/],
    ['maxClientCnxns=-5', /invalid value for maxClientCnxns: "-5"/],
    ['minSessionTimeout=50000', /minSessionTimeout \(50000 ms\) must not be larger than maxSessionTimeout \(40000 ms\)/],
    ['minSessionTimeout=5000\nmaxSessionTimeout=4000', /minSessionTimeout \(5000 ms\) must not be larger/],
    ['maxSessionTimeout=0', /invalid value for maxSessionTimeout: "0"/],
    ['jute.maxbuffer=big', /invalid value for jute.maxbuffer: "big"/],
    ['extendedTypesEnabled=yes', /invalid value for extendedTypesEnabled: "yes" \(expected true or false\)/],
    ['standaloneEnabled=1', /invalid value for standaloneEnabled: "1"/],
    ['autopurge.purgeInterval=-1', /invalid value for autopurge.purgeInterval: "-1"/],
    ['clientPortAddress=not an address', /invalid value for clientPortAddress: "not an address"/],
    ['DigestAuthenticationProvider.superDigest=nocolon', /invalid value for DigestAuthenticationProvider.superDigest/],
    ['znode.container.checkIntervalMs=0', /invalid value for znode.container.checkIntervalMs: "0"/],
    ['globalOutstandingLimit=x', /invalid value for globalOutstandingLimit: "x"/],
    ['snapCount=1e5', /invalid value for snapCount: "1e5"/],
    ['clientPort=3000\ngrpcPort=3000', /clientPort and grpcPort are both 3000/],
    ['zookeeper.jute.maxbuffer=0', /invalid value for zookeeper.jute.maxbuffer: "0"/],
  ])('rejects %j', (text, message) => {
    expect(() => loadConfig({ configFile: text, flags: { dataDir: '/d' } })).toThrow(message);
  });

  it('rejects bad flag values and a missing dataDir', () => {
    expect(() => loadConfig({ flags: {} })).toThrow(/dataDir is not set/);
    expect(() => loadConfig({ configFile: 'tickTime=2000', flags: {} })).toThrow(/dataDir is not set/);
    expect(() => loadConfig({ flags: { dataDir: '/d', grpcPort: 70000 } })).toThrow(/invalid value for --grpc-port: "70000"/);
    expect(() => loadConfig({ flags: { dataDir: '' } })).toThrow(/invalid value for --data-dir/);
  });
});

describe('browser origins and admin command credentials', () => {
  const load = (lines: string[], flags: Record<string, string> = {}) => loadConfig({ configFile: ['dataDir=/d', ...lines].join('\n'), flags });

  it('reads http.allowedOrigins as exact origins, "*" alone, and lets --allowed-origins override it', () => {
    expect(load(['http.allowedOrigins=https://app.example.com, http://localhost:3000,https://app.example.com']).config.httpAllowedOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:3000',
    ]);
    expect(load(['http.allowedOrigins=https://a.example,*']).config.httpAllowedOrigins).toEqual(['*']);
    expect(load(['http.allowedOrigins=https://a.example'], { allowedOrigins: 'http://b.example:8080' }).config.httpAllowedOrigins).toEqual(['http://b.example:8080']);
    expect(load([]).config.httpAllowedOrigins).toEqual([]);
    expect(parseServerArgs(['--allowed-origins', 'http://a.example']).allowedOrigins).toBe('http://a.example');
  });

  it('refuses an origin with a path, without a scheme, or "null"', () => {
    expect(() => load(['http.allowedOrigins=https://app.example.com/console'])).toThrow(/http.allowedOrigins/);
    expect(() => load(['http.allowedOrigins=app.example.com'])).toThrow(/http.allowedOrigins/);
    expect(() => load(['http.allowedOrigins=null'])).toThrow(/http.allowedOrigins/);
  });

  it('reads http.commands.authRequired as four-letter words, warning about unknown ones', () => {
    const { config, warnings } = load(['http.commands.authRequired=dump, envi,cons,frob']);
    expect(config.httpCommandsAuthRequired).toEqual(['dump', 'envi', 'cons', 'frob']);
    expect(warnings).toEqual(['http.commands.authRequired: "frob" is not a known four-letter word']);
    expect(load(['http.commands.authRequired=*,dump']).config.httpCommandsAuthRequired).toEqual(['*']);
  });
});

describe('parseServerArgs', () => {
  it('reads every flag, in both forms', () => {
    expect(
      parseServerArgs(['--config', 'zoo.cfg', '--data-dir', './data', '--grpc-port', '0', '--http-port=8080', '--client-port=2181']),
    ).toEqual({ config: 'zoo.cfg', dataDir: './data', grpcPort: 0, httpPort: 8080, clientPort: 2181 });
    expect(parseServerArgs(['--data-dir=/x=y'])).toEqual({ dataDir: '/x=y' });
    expect(parseServerArgs([])).toEqual({});
  });

  it('keeps the last of a repeated flag and notes --help', () => {
    expect(parseServerArgs(['--grpc-port', '1', '--grpc-port=2'])).toEqual({ grpcPort: 2 });
    expect(parseServerArgs(['--help'])).toEqual({ help: true });
    expect(parseServerArgs(['-h'])).toEqual({ help: true });
  });

  it.each([
    [['--bogus', '1'], /unknown option "--bogus"/],
    [['--data-dir'], /--data-dir needs a value/],
    [['--data-dir', '--grpc-port', '1'], /--data-dir needs a value/],
    [['--config='], /--config needs a value/],
    [['--grpc-port', 'x'], /--grpc-port needs a port number from 0 to 65535, not "x"/],
    [['--http-port=65536'], /--http-port needs a port number/],
    [['--client-port', '-1'], /--client-port needs a port number/],
    [['extra'], /unexpected argument "extra"/],
  ])('rejects %j with a usage error', (argv, message) => {
    let error: unknown;
    try {
      parseServerArgs(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });

  it('feeds loadConfig directly', () => {
    const args = parseServerArgs(['--data-dir', '/d', '--client-port', '0']);
    const { config } = loadConfig({ configFile: 'clientPort=2181', flags: args });
    expect(config.clientPort).toBe(0);
    expect(config.dataDir).toBe('/d');
  });
});
