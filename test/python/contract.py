"""A Python gRPC client of Cairn, as a new user writes one: protoc's cairn_pb2 and grpcio's
generic stubs, no Cairn code. Run by test/integration/grpc-python.test.ts as

    python3 contract.py ADDRESS GENERATED_DIR

where GENERATED_DIR holds cairn_pb2.py and rich_status_pb2.py (google.rpc.Status's wire
format). Prints one JSON object per check; the test compares them."""

import json
import sys
import urllib.parse

import grpc

sys.path.insert(0, sys.argv[2])
import cairn_pb2  # noqa: E402
import rich_status_pb2  # noqa: E402

ADDRESS = sys.argv[1]
SERVICE = '/cairn.v1.Cairn/'


def report(check, **facts):
    print(json.dumps({'check': check, **facts}, sort_keys=True))
    sys.stdout.flush()


def unary(channel, method, request_type, response_type):
    return channel.unary_unary(SERVICE + method, request_serializer=request_type.SerializeToString, response_deserializer=response_type.FromString)


def failure(call):
    """Calls and expects a failure: its status name and its zk-* trailers."""
    try:
        call()
    except grpc.RpcError as error:
        trailers = {key: value for key, value in error.trailing_metadata()}
        return error, trailers
    raise AssertionError('the call succeeded')


def main():
    channel = grpc.insecure_channel(ADDRESS)
    grpc.channel_ready_future(channel).result(timeout=30)
    create = unary(channel, 'Create', cairn_pb2.CreateRequest, cairn_pb2.CreateResponse)
    set_data = unary(channel, 'Set', cairn_pb2.SetDataRequest, cairn_pb2.SetDataResponse)
    delete = unary(channel, 'Delete', cairn_pb2.DeleteRequest, cairn_pb2.DeleteResponse)
    get = unary(channel, 'Get', cairn_pb2.GetDataRequest, cairn_pb2.GetDataResponse)
    get_acl = unary(channel, 'GetACL', cairn_pb2.GetACLRequest, cairn_pb2.GetACLResponse)
    multi = unary(channel, 'Multi', cairn_pb2.MultiRequest, cairn_pb2.MultiResponse)
    base = '/python-' + sys.argv[3]

    # The README's example: a path and data, no ACL.
    created = create(cairn_pb2.CreateRequest(path=base, data=b'hello'), timeout=10)
    acl = get_acl(cairn_pb2.GetACLRequest(path=base), timeout=10)
    report('create without an ACL', path=created.path, acl=[[entry.perms, entry.id.scheme, entry.id.id] for entry in acl.acl])

    # No version: any. Version 0, set explicitly, is checked (HasField tells the two apart).
    versions = [set_data(cairn_pb2.SetDataRequest(path=base, data=str(i).encode()), timeout=10).stat.version for i in range(2)]
    explicit = cairn_pb2.SetDataRequest(path=base, data=b'x', version=0)
    error, trailers = failure(lambda: set_data(explicit, timeout=10))
    report('versions', unversioned=versions, explicit_zero_has_field=explicit.HasField('version'), explicit_zero=error.code().name, zk_name=trailers.get('zk-name'))

    # A failed multi: the failing op's status and trailers, every op's result in the details.
    error, trailers = failure(lambda: multi(cairn_pb2.MultiRequest(ops=[
        cairn_pb2.MultiOp(set_data=cairn_pb2.SetDataRequest(path=base, data=b'changed')),
        cairn_pb2.MultiOp(delete=cairn_pb2.DeleteRequest(path=base + '/missing')),
    ]), timeout=10))
    status = rich_status_pb2.Status.FromString(trailers['grpc-status-details-bin'])
    results = [cairn_pb2.MultiResponse.FromString(detail.value) for detail in status.details if detail.type_url == 'type.googleapis.com/cairn.v1.MultiResponse']
    report('failed multi', status=error.code().name, zk_code=trailers.get('zk-code'), zk_path=trailers.get('zk-path'),
           detail_code=status.code, results=[[result.WhichOneof('result'), result.error.code] for result in results[0].results])
    report('after the failed multi', data=get(cairn_pb2.GetDataRequest(path=base), timeout=10).data.decode())

    # zk-path is percent-encoded: a non-ASCII path comes back exact once decoded.
    unicode_path = base + '/ünïcødé 雪'
    error, trailers = failure(lambda: get(cairn_pb2.GetDataRequest(path=unicode_path), timeout=10))
    report('percent-encoded zk-path', status=error.code().name, decoded=urllib.parse.unquote(trailers['zk-path']) == unicode_path, raw=trailers['zk-path'])

    # The session stream: connect, an ephemeral, a watch that fires, close.
    session = channel.stream_stream(SERVICE + 'Session', request_serializer=cairn_pb2.ClientMessage.SerializeToString, response_deserializer=cairn_pb2.ServerMessage.FromString)
    child = base + '/ephemeral'
    outgoing = [
        cairn_pb2.ClientMessage(connect=cairn_pb2.Connect(timeout_ms=10000)),
        cairn_pb2.ClientMessage(request=cairn_pb2.Request(xid=1, create=cairn_pb2.CreateRequest(path=child, mode=cairn_pb2.CREATE_MODE_EPHEMERAL))),
        cairn_pb2.ClientMessage(request=cairn_pb2.Request(xid=2, get_data=cairn_pb2.GetDataRequest(path=child, watch=True))),
        cairn_pb2.ClientMessage(request=cairn_pb2.Request(xid=3, set_data=cairn_pb2.SetDataRequest(path=child, data=b'changed'))),
        cairn_pb2.ClientMessage(close=cairn_pb2.Close()),
    ]
    seen = []
    for message in session(iter(outgoing), timeout=30):
        kind = message.WhichOneof('kind')
        if kind == 'response':
            seen.append(['response', message.response.xid, message.response.WhichOneof('result')])
        elif kind == 'event':
            seen.append(['event', cairn_pb2.EventType.Name(message.event.type), message.event.path == child])
        elif kind == 'closed':
            seen.append(['closed', cairn_pb2.CloseReason.Name(message.closed.reason)])
        else:
            seen.append([kind])
    report('session stream', seen=seen)
    report('ephemeral gone with the session', status=failure(lambda: get(cairn_pb2.GetDataRequest(path=child), timeout=10))[0].code().name)
    delete(cairn_pb2.DeleteRequest(path=base), timeout=10)
    report('delete without a version', done=True)


if __name__ == '__main__':
    main()
