// The WebSocket channel's strict reading of proto3's JSON mapping (src/api/http/strict-json.ts),
// over the real cairn.v1.ClientMessage: what the mapping allows is taken, everything else is
// refused with the field named.

import { describe, expect, it } from 'vitest';
import { decodeClientMessage, JSON_SUBPROTOCOL } from '../../src/api/http/proto-json.js';
import { jsonNameOf } from '../../src/api/http/strict-json.js';

const decode = (value: unknown) => decodeClientMessage(Buffer.from(JSON.stringify(value)), JSON_SUBPROTOCOL);
const refusal = (value: unknown): string => {
  try {
    decode(value);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
};

describe('strict proto3 JSON for ClientMessage', () => {
  it('names fields as proto3 does', () => {
    expect(['get_data', 'who_am_i', 'last_zxid_seen', 'get_all_children_number', 'xid'].map(jsonNameOf)).toEqual(['getData', 'whoAmI', 'lastZxidSeen', 'getAllChildrenNumber', 'xid']);
  });

  it('takes both spellings, integers as numbers or decimal strings, enums by name or number', () => {
    const connect = decode({ connect: { session_id: '123', timeoutMs: '5000', last_zxid_seen: 9007199254740991, password: 'AQI=' } });
    expect(connect.connect).toMatchObject({ sessionId: 123, timeoutMs: 5000, lastZxidSeen: 9007199254740991 });
    expect(Buffer.from(connect.connect!.password).toString('hex')).toBe('0102');
    expect(decode({ request: { xid: 1, create: { path: '/a', mode: 3 } } }).request!.create!.mode).toBe(3);
    expect(decode({ request: { xid: 1, create: { path: '/a', mode: 'CREATE_MODE_CONTAINER' } } }).request!.create!.mode).toBe(4);
  });

  it('reads URL-safe base64 and unpadded base64 for bytes', () => {
    const data = decode({ request: { xid: 1, set_data: { path: '/a', data: '-_8' } } }).request!.setData!.data!;
    expect(Buffer.from(data).toString('hex')).toBe('fbff');
  });

  it('treats null as not set: an absent version and absent data stay absent', () => {
    const setData = decode({ request: { xid: 1, setData: { path: '/a', data: null, version: null } } }).request!.setData!;
    expect(setData.version).toBeUndefined();
    expect(setData.data).toBeUndefined();
    expect(decode({ request: { xid: 1, setData: { path: '/a', version: 0 } } }).request!.setData!.version).toBe(0);
  });

  it('refuses what the mapping does not allow, naming the field', () => {
    expect(refusal({ request: { xid: 1.5, getData: { path: '/' } } })).toContain('message.request.xid: 1.5 is not an integer');
    expect(refusal({ request: { xid: '9007199254740993', getData: { path: '/' } } })).toContain('message.request.xid');
    expect(refusal({ request: { xid: 1, getData: { path: 7 } } })).toContain('message.request.getData.path: expected a string, got a number');
    expect(refusal({ request: { xid: 1, setData: { path: '/', version: 2 ** 31 } } })).toContain('message.request.setData.version');
    expect(refusal({ request: { xid: 1, multi: { ops: [null] } } })).toContain('message.request.multi.ops[0]: null is not allowed');
    expect(refusal({ request: { xid: 1, multi: { ops: {} } } })).toContain('message.request.multi.ops: expected a list');
    expect(refusal({ request: { xid: 1, getData: { path: '/', extra: true } } })).toContain('unknown field "extra" in GetDataRequest');
    expect(refusal({ ping: {}, close: {} })).toContain('ClientMessage.kind takes one');
    expect(refusal('connect')).toContain('expected an object');
    expect(refusal({ request: { xid: 1, create: { path: '/', mode: true } } })).toContain('expected a CreateMode name or number');
  });
});
