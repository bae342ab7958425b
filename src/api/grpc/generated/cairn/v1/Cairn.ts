// Original file: proto/cairn.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ClientMessage as _cairn_v1_ClientMessage, ClientMessage__Output as _cairn_v1_ClientMessage__Output } from '../../cairn/v1/ClientMessage.js';
import type { CreateRequest as _cairn_v1_CreateRequest, CreateRequest__Output as _cairn_v1_CreateRequest__Output } from '../../cairn/v1/CreateRequest.js';
import type { CreateResponse as _cairn_v1_CreateResponse, CreateResponse__Output as _cairn_v1_CreateResponse__Output } from '../../cairn/v1/CreateResponse.js';
import type { DeleteRequest as _cairn_v1_DeleteRequest, DeleteRequest__Output as _cairn_v1_DeleteRequest__Output } from '../../cairn/v1/DeleteRequest.js';
import type { DeleteResponse as _cairn_v1_DeleteResponse, DeleteResponse__Output as _cairn_v1_DeleteResponse__Output } from '../../cairn/v1/DeleteResponse.js';
import type { ExistsRequest as _cairn_v1_ExistsRequest, ExistsRequest__Output as _cairn_v1_ExistsRequest__Output } from '../../cairn/v1/ExistsRequest.js';
import type { ExistsResponse as _cairn_v1_ExistsResponse, ExistsResponse__Output as _cairn_v1_ExistsResponse__Output } from '../../cairn/v1/ExistsResponse.js';
import type { GetACLRequest as _cairn_v1_GetACLRequest, GetACLRequest__Output as _cairn_v1_GetACLRequest__Output } from '../../cairn/v1/GetACLRequest.js';
import type { GetACLResponse as _cairn_v1_GetACLResponse, GetACLResponse__Output as _cairn_v1_GetACLResponse__Output } from '../../cairn/v1/GetACLResponse.js';
import type { GetChildrenRequest as _cairn_v1_GetChildrenRequest, GetChildrenRequest__Output as _cairn_v1_GetChildrenRequest__Output } from '../../cairn/v1/GetChildrenRequest.js';
import type { GetChildrenResponse as _cairn_v1_GetChildrenResponse, GetChildrenResponse__Output as _cairn_v1_GetChildrenResponse__Output } from '../../cairn/v1/GetChildrenResponse.js';
import type { GetDataRequest as _cairn_v1_GetDataRequest, GetDataRequest__Output as _cairn_v1_GetDataRequest__Output } from '../../cairn/v1/GetDataRequest.js';
import type { GetDataResponse as _cairn_v1_GetDataResponse, GetDataResponse__Output as _cairn_v1_GetDataResponse__Output } from '../../cairn/v1/GetDataResponse.js';
import type { MultiRequest as _cairn_v1_MultiRequest, MultiRequest__Output as _cairn_v1_MultiRequest__Output } from '../../cairn/v1/MultiRequest.js';
import type { MultiResponse as _cairn_v1_MultiResponse, MultiResponse__Output as _cairn_v1_MultiResponse__Output } from '../../cairn/v1/MultiResponse.js';
import type { ServerMessage as _cairn_v1_ServerMessage, ServerMessage__Output as _cairn_v1_ServerMessage__Output } from '../../cairn/v1/ServerMessage.js';
import type { SetACLRequest as _cairn_v1_SetACLRequest, SetACLRequest__Output as _cairn_v1_SetACLRequest__Output } from '../../cairn/v1/SetACLRequest.js';
import type { SetACLResponse as _cairn_v1_SetACLResponse, SetACLResponse__Output as _cairn_v1_SetACLResponse__Output } from '../../cairn/v1/SetACLResponse.js';
import type { SetDataRequest as _cairn_v1_SetDataRequest, SetDataRequest__Output as _cairn_v1_SetDataRequest__Output } from '../../cairn/v1/SetDataRequest.js';
import type { SetDataResponse as _cairn_v1_SetDataResponse, SetDataResponse__Output as _cairn_v1_SetDataResponse__Output } from '../../cairn/v1/SetDataResponse.js';
import type { SyncRequest as _cairn_v1_SyncRequest, SyncRequest__Output as _cairn_v1_SyncRequest__Output } from '../../cairn/v1/SyncRequest.js';
import type { SyncResponse as _cairn_v1_SyncResponse, SyncResponse__Output as _cairn_v1_SyncResponse__Output } from '../../cairn/v1/SyncResponse.js';
import type { WatchEvent as _cairn_v1_WatchEvent, WatchEvent__Output as _cairn_v1_WatchEvent__Output } from '../../cairn/v1/WatchEvent.js';
import type { WatchRequest as _cairn_v1_WatchRequest, WatchRequest__Output as _cairn_v1_WatchRequest__Output } from '../../cairn/v1/WatchRequest.js';

export interface CairnClient extends grpc.Client {
  /**
   * Child names and the parent's Stat (ZooKeeper getChildren2).
   */
  Children(argument: _cairn_v1_GetChildrenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_GetChildrenResponse__Output>): grpc.ClientUnaryCall;
  Children(argument: _cairn_v1_GetChildrenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_GetChildrenResponse__Output>): grpc.ClientUnaryCall;
  Children(argument: _cairn_v1_GetChildrenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_GetChildrenResponse__Output>): grpc.ClientUnaryCall;
  Children(argument: _cairn_v1_GetChildrenRequest, callback: grpc.requestCallback<_cairn_v1_GetChildrenResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Child names and the parent's Stat (ZooKeeper getChildren2).
   */
  children(argument: _cairn_v1_GetChildrenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_GetChildrenResponse__Output>): grpc.ClientUnaryCall;
  children(argument: _cairn_v1_GetChildrenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_GetChildrenResponse__Output>): grpc.ClientUnaryCall;
  children(argument: _cairn_v1_GetChildrenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_GetChildrenResponse__Output>): grpc.ClientUnaryCall;
  children(argument: _cairn_v1_GetChildrenRequest, callback: grpc.requestCallback<_cairn_v1_GetChildrenResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Create a persistent, sequential, container or TTL node. Ephemeral modes need a session
   * and are refused with BadArguments.
   */
  Create(argument: _cairn_v1_CreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_CreateResponse__Output>): grpc.ClientUnaryCall;
  Create(argument: _cairn_v1_CreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_CreateResponse__Output>): grpc.ClientUnaryCall;
  Create(argument: _cairn_v1_CreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_CreateResponse__Output>): grpc.ClientUnaryCall;
  Create(argument: _cairn_v1_CreateRequest, callback: grpc.requestCallback<_cairn_v1_CreateResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Create a persistent, sequential, container or TTL node. Ephemeral modes need a session
   * and are refused with BadArguments.
   */
  create(argument: _cairn_v1_CreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_CreateResponse__Output>): grpc.ClientUnaryCall;
  create(argument: _cairn_v1_CreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_CreateResponse__Output>): grpc.ClientUnaryCall;
  create(argument: _cairn_v1_CreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_CreateResponse__Output>): grpc.ClientUnaryCall;
  create(argument: _cairn_v1_CreateRequest, callback: grpc.requestCallback<_cairn_v1_CreateResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Delete a childless node, optionally only at an expected version.
   */
  Delete(argument: _cairn_v1_DeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _cairn_v1_DeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _cairn_v1_DeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _cairn_v1_DeleteRequest, callback: grpc.requestCallback<_cairn_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Delete a childless node, optionally only at an expected version.
   */
  delete(argument: _cairn_v1_DeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _cairn_v1_DeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _cairn_v1_DeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _cairn_v1_DeleteRequest, callback: grpc.requestCallback<_cairn_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The node's Stat, or no Stat when the node does not exist (not an error).
   */
  Exists(argument: _cairn_v1_ExistsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_ExistsResponse__Output>): grpc.ClientUnaryCall;
  Exists(argument: _cairn_v1_ExistsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_ExistsResponse__Output>): grpc.ClientUnaryCall;
  Exists(argument: _cairn_v1_ExistsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_ExistsResponse__Output>): grpc.ClientUnaryCall;
  Exists(argument: _cairn_v1_ExistsRequest, callback: grpc.requestCallback<_cairn_v1_ExistsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The node's Stat, or no Stat when the node does not exist (not an error).
   */
  exists(argument: _cairn_v1_ExistsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_ExistsResponse__Output>): grpc.ClientUnaryCall;
  exists(argument: _cairn_v1_ExistsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_ExistsResponse__Output>): grpc.ClientUnaryCall;
  exists(argument: _cairn_v1_ExistsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_ExistsResponse__Output>): grpc.ClientUnaryCall;
  exists(argument: _cairn_v1_ExistsRequest, callback: grpc.requestCallback<_cairn_v1_ExistsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Node data and Stat (ZooKeeper getData). `watch` must be false: watches need a session.
   */
  Get(argument: _cairn_v1_GetDataRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_GetDataResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _cairn_v1_GetDataRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_GetDataResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _cairn_v1_GetDataRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_GetDataResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _cairn_v1_GetDataRequest, callback: grpc.requestCallback<_cairn_v1_GetDataResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Node data and Stat (ZooKeeper getData). `watch` must be false: watches need a session.
   */
  get(argument: _cairn_v1_GetDataRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_GetDataResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _cairn_v1_GetDataRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_GetDataResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _cairn_v1_GetDataRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_GetDataResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _cairn_v1_GetDataRequest, callback: grpc.requestCallback<_cairn_v1_GetDataResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * A node's ACL and Stat.
   */
  GetACL(argument: _cairn_v1_GetACLRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_GetACLResponse__Output>): grpc.ClientUnaryCall;
  GetACL(argument: _cairn_v1_GetACLRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_GetACLResponse__Output>): grpc.ClientUnaryCall;
  GetACL(argument: _cairn_v1_GetACLRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_GetACLResponse__Output>): grpc.ClientUnaryCall;
  GetACL(argument: _cairn_v1_GetACLRequest, callback: grpc.requestCallback<_cairn_v1_GetACLResponse__Output>): grpc.ClientUnaryCall;
  /**
   * A node's ACL and Stat.
   */
  getAcl(argument: _cairn_v1_GetACLRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_GetACLResponse__Output>): grpc.ClientUnaryCall;
  getAcl(argument: _cairn_v1_GetACLRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_GetACLResponse__Output>): grpc.ClientUnaryCall;
  getAcl(argument: _cairn_v1_GetACLRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_GetACLResponse__Output>): grpc.ClientUnaryCall;
  getAcl(argument: _cairn_v1_GetACLRequest, callback: grpc.requestCallback<_cairn_v1_GetACLResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Atomic batch of create/delete/setData/check: all succeed or none is applied. When one
   * fails, the call ends with that op's status and zk-* trailers (zk-path is the failing op's),
   * and `grpc-status-details-bin` carries the MultiResponse: the failing op's ErrorResult has
   * its code, the ops rolled back with it carry 0 (Ok) and the ops after it RuntimeInconsistency
   * (-2), as ZooKeeper reports them.
   */
  Multi(argument: _cairn_v1_MultiRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_MultiResponse__Output>): grpc.ClientUnaryCall;
  Multi(argument: _cairn_v1_MultiRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_MultiResponse__Output>): grpc.ClientUnaryCall;
  Multi(argument: _cairn_v1_MultiRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_MultiResponse__Output>): grpc.ClientUnaryCall;
  Multi(argument: _cairn_v1_MultiRequest, callback: grpc.requestCallback<_cairn_v1_MultiResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Atomic batch of create/delete/setData/check: all succeed or none is applied. When one
   * fails, the call ends with that op's status and zk-* trailers (zk-path is the failing op's),
   * and `grpc-status-details-bin` carries the MultiResponse: the failing op's ErrorResult has
   * its code, the ops rolled back with it carry 0 (Ok) and the ops after it RuntimeInconsistency
   * (-2), as ZooKeeper reports them.
   */
  multi(argument: _cairn_v1_MultiRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_MultiResponse__Output>): grpc.ClientUnaryCall;
  multi(argument: _cairn_v1_MultiRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_MultiResponse__Output>): grpc.ClientUnaryCall;
  multi(argument: _cairn_v1_MultiRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_MultiResponse__Output>): grpc.ClientUnaryCall;
  multi(argument: _cairn_v1_MultiRequest, callback: grpc.requestCallback<_cairn_v1_MultiResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The session channel. The first ClientMessage must be `connect`; the server answers
   * `connected`. Everything on the stream is in order: responses come back in request
   * order, and a watch event is delivered before any later response that shows the change.
   * Each message carries one item; grpc-js already coalesces queued messages into shared
   * HTTP/2 frames.
   * 
   * Dropping the stream without `close` (cancel, or half-close) keeps the session until it
   * expires; a new stream can resume it with the session id and password, and the old stream,
   * if still open, then gets `closed` with CLOSE_REASON_MOVED.
   * 
   * What a resumed session keeps: its id, timeout and ephemeral nodes. What it does not keep,
   * as with ZooKeeper's connections: identities added with `auth` (the new stream has only its
   * transport's and its call credentials'; send `auth` again) and watches. A resumed session
   * has NO watches until the client sends SetWatches with the paths it watched and the last
   * zxid it saw; the watches that would have fired meanwhile then fire at once (ZooKeeper's
   * clients do the same on reconnect). A request in flight when the old stream broke has an
   * unknown outcome: a write may or may not have been applied.
   * 
   * The server ends a stream with an error status (the session stays, detached) when:
   * INVALID_ARGUMENT   the first message is not `connect`, or `connect` comes again;
   * DEADLINE_EXCEEDED  no `connect` arrives in time;
   * UNAVAILABLE        (zk-code ConnectionLoss) no message for the negotiated timeout, or
   * the server is shutting down;
   * RESOURCE_EXHAUSTED the client stopped reading and too much is queued for it.
   * A refused `connect` ends the stream with the error's status and zk-* trailers (e.g.
   * SessionExpired for an unknown session or wrong password). With many requests
   * outstanding the server stops reading the stream until answers catch up.
   */
  Session(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_cairn_v1_ClientMessage, _cairn_v1_ServerMessage__Output>;
  Session(options?: grpc.CallOptions): grpc.ClientDuplexStream<_cairn_v1_ClientMessage, _cairn_v1_ServerMessage__Output>;
  /**
   * The session channel. The first ClientMessage must be `connect`; the server answers
   * `connected`. Everything on the stream is in order: responses come back in request
   * order, and a watch event is delivered before any later response that shows the change.
   * Each message carries one item; grpc-js already coalesces queued messages into shared
   * HTTP/2 frames.
   * 
   * Dropping the stream without `close` (cancel, or half-close) keeps the session until it
   * expires; a new stream can resume it with the session id and password, and the old stream,
   * if still open, then gets `closed` with CLOSE_REASON_MOVED.
   * 
   * What a resumed session keeps: its id, timeout and ephemeral nodes. What it does not keep,
   * as with ZooKeeper's connections: identities added with `auth` (the new stream has only its
   * transport's and its call credentials'; send `auth` again) and watches. A resumed session
   * has NO watches until the client sends SetWatches with the paths it watched and the last
   * zxid it saw; the watches that would have fired meanwhile then fire at once (ZooKeeper's
   * clients do the same on reconnect). A request in flight when the old stream broke has an
   * unknown outcome: a write may or may not have been applied.
   * 
   * The server ends a stream with an error status (the session stays, detached) when:
   * INVALID_ARGUMENT   the first message is not `connect`, or `connect` comes again;
   * DEADLINE_EXCEEDED  no `connect` arrives in time;
   * UNAVAILABLE        (zk-code ConnectionLoss) no message for the negotiated timeout, or
   * the server is shutting down;
   * RESOURCE_EXHAUSTED the client stopped reading and too much is queued for it.
   * A refused `connect` ends the stream with the error's status and zk-* trailers (e.g.
   * SessionExpired for an unknown session or wrong password). With many requests
   * outstanding the server stops reading the stream until answers catch up.
   */
  session(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_cairn_v1_ClientMessage, _cairn_v1_ServerMessage__Output>;
  session(options?: grpc.CallOptions): grpc.ClientDuplexStream<_cairn_v1_ClientMessage, _cairn_v1_ServerMessage__Output>;
  
  /**
   * Replace a node's data, optionally only at an expected version.
   */
  Set(argument: _cairn_v1_SetDataRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_SetDataResponse__Output>): grpc.ClientUnaryCall;
  Set(argument: _cairn_v1_SetDataRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_SetDataResponse__Output>): grpc.ClientUnaryCall;
  Set(argument: _cairn_v1_SetDataRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_SetDataResponse__Output>): grpc.ClientUnaryCall;
  Set(argument: _cairn_v1_SetDataRequest, callback: grpc.requestCallback<_cairn_v1_SetDataResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Replace a node's data, optionally only at an expected version.
   */
  set(argument: _cairn_v1_SetDataRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_SetDataResponse__Output>): grpc.ClientUnaryCall;
  set(argument: _cairn_v1_SetDataRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_SetDataResponse__Output>): grpc.ClientUnaryCall;
  set(argument: _cairn_v1_SetDataRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_SetDataResponse__Output>): grpc.ClientUnaryCall;
  set(argument: _cairn_v1_SetDataRequest, callback: grpc.requestCallback<_cairn_v1_SetDataResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Replace a node's ACL, optionally only at an expected ACL version (aversion).
   */
  SetACL(argument: _cairn_v1_SetACLRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_SetACLResponse__Output>): grpc.ClientUnaryCall;
  SetACL(argument: _cairn_v1_SetACLRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_SetACLResponse__Output>): grpc.ClientUnaryCall;
  SetACL(argument: _cairn_v1_SetACLRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_SetACLResponse__Output>): grpc.ClientUnaryCall;
  SetACL(argument: _cairn_v1_SetACLRequest, callback: grpc.requestCallback<_cairn_v1_SetACLResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Replace a node's ACL, optionally only at an expected ACL version (aversion).
   */
  setAcl(argument: _cairn_v1_SetACLRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_SetACLResponse__Output>): grpc.ClientUnaryCall;
  setAcl(argument: _cairn_v1_SetACLRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_SetACLResponse__Output>): grpc.ClientUnaryCall;
  setAcl(argument: _cairn_v1_SetACLRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_SetACLResponse__Output>): grpc.ClientUnaryCall;
  setAcl(argument: _cairn_v1_SetACLRequest, callback: grpc.requestCallback<_cairn_v1_SetACLResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Wait until this server has applied everything committed before the call.
   */
  Sync(argument: _cairn_v1_SyncRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_SyncResponse__Output>): grpc.ClientUnaryCall;
  Sync(argument: _cairn_v1_SyncRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_SyncResponse__Output>): grpc.ClientUnaryCall;
  Sync(argument: _cairn_v1_SyncRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_SyncResponse__Output>): grpc.ClientUnaryCall;
  Sync(argument: _cairn_v1_SyncRequest, callback: grpc.requestCallback<_cairn_v1_SyncResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Wait until this server has applied everything committed before the call.
   */
  sync(argument: _cairn_v1_SyncRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_SyncResponse__Output>): grpc.ClientUnaryCall;
  sync(argument: _cairn_v1_SyncRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cairn_v1_SyncResponse__Output>): grpc.ClientUnaryCall;
  sync(argument: _cairn_v1_SyncRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cairn_v1_SyncResponse__Output>): grpc.ClientUnaryCall;
  sync(argument: _cairn_v1_SyncRequest, callback: grpc.requestCallback<_cairn_v1_SyncResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * A change feed without a session: a persistent (optionally recursive) watch whose
   * events stream until the caller cancels.
   */
  Watch(argument: _cairn_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_cairn_v1_WatchEvent__Output>;
  Watch(argument: _cairn_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_cairn_v1_WatchEvent__Output>;
  /**
   * A change feed without a session: a persistent (optionally recursive) watch whose
   * events stream until the caller cancels.
   */
  watch(argument: _cairn_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_cairn_v1_WatchEvent__Output>;
  watch(argument: _cairn_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_cairn_v1_WatchEvent__Output>;
  
}

export interface CairnHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Child names and the parent's Stat (ZooKeeper getChildren2).
   */
  Children: grpc.handleUnaryCall<_cairn_v1_GetChildrenRequest__Output, _cairn_v1_GetChildrenResponse>;
  
  /**
   * Create a persistent, sequential, container or TTL node. Ephemeral modes need a session
   * and are refused with BadArguments.
   */
  Create: grpc.handleUnaryCall<_cairn_v1_CreateRequest__Output, _cairn_v1_CreateResponse>;
  
  /**
   * Delete a childless node, optionally only at an expected version.
   */
  Delete: grpc.handleUnaryCall<_cairn_v1_DeleteRequest__Output, _cairn_v1_DeleteResponse>;
  
  /**
   * The node's Stat, or no Stat when the node does not exist (not an error).
   */
  Exists: grpc.handleUnaryCall<_cairn_v1_ExistsRequest__Output, _cairn_v1_ExistsResponse>;
  
  /**
   * Node data and Stat (ZooKeeper getData). `watch` must be false: watches need a session.
   */
  Get: grpc.handleUnaryCall<_cairn_v1_GetDataRequest__Output, _cairn_v1_GetDataResponse>;
  
  /**
   * A node's ACL and Stat.
   */
  GetACL: grpc.handleUnaryCall<_cairn_v1_GetACLRequest__Output, _cairn_v1_GetACLResponse>;
  
  /**
   * Atomic batch of create/delete/setData/check: all succeed or none is applied. When one
   * fails, the call ends with that op's status and zk-* trailers (zk-path is the failing op's),
   * and `grpc-status-details-bin` carries the MultiResponse: the failing op's ErrorResult has
   * its code, the ops rolled back with it carry 0 (Ok) and the ops after it RuntimeInconsistency
   * (-2), as ZooKeeper reports them.
   */
  Multi: grpc.handleUnaryCall<_cairn_v1_MultiRequest__Output, _cairn_v1_MultiResponse>;
  
  /**
   * The session channel. The first ClientMessage must be `connect`; the server answers
   * `connected`. Everything on the stream is in order: responses come back in request
   * order, and a watch event is delivered before any later response that shows the change.
   * Each message carries one item; grpc-js already coalesces queued messages into shared
   * HTTP/2 frames.
   * 
   * Dropping the stream without `close` (cancel, or half-close) keeps the session until it
   * expires; a new stream can resume it with the session id and password, and the old stream,
   * if still open, then gets `closed` with CLOSE_REASON_MOVED.
   * 
   * What a resumed session keeps: its id, timeout and ephemeral nodes. What it does not keep,
   * as with ZooKeeper's connections: identities added with `auth` (the new stream has only its
   * transport's and its call credentials'; send `auth` again) and watches. A resumed session
   * has NO watches until the client sends SetWatches with the paths it watched and the last
   * zxid it saw; the watches that would have fired meanwhile then fire at once (ZooKeeper's
   * clients do the same on reconnect). A request in flight when the old stream broke has an
   * unknown outcome: a write may or may not have been applied.
   * 
   * The server ends a stream with an error status (the session stays, detached) when:
   * INVALID_ARGUMENT   the first message is not `connect`, or `connect` comes again;
   * DEADLINE_EXCEEDED  no `connect` arrives in time;
   * UNAVAILABLE        (zk-code ConnectionLoss) no message for the negotiated timeout, or
   * the server is shutting down;
   * RESOURCE_EXHAUSTED the client stopped reading and too much is queued for it.
   * A refused `connect` ends the stream with the error's status and zk-* trailers (e.g.
   * SessionExpired for an unknown session or wrong password). With many requests
   * outstanding the server stops reading the stream until answers catch up.
   */
  Session: grpc.handleBidiStreamingCall<_cairn_v1_ClientMessage__Output, _cairn_v1_ServerMessage>;
  
  /**
   * Replace a node's data, optionally only at an expected version.
   */
  Set: grpc.handleUnaryCall<_cairn_v1_SetDataRequest__Output, _cairn_v1_SetDataResponse>;
  
  /**
   * Replace a node's ACL, optionally only at an expected ACL version (aversion).
   */
  SetACL: grpc.handleUnaryCall<_cairn_v1_SetACLRequest__Output, _cairn_v1_SetACLResponse>;
  
  /**
   * Wait until this server has applied everything committed before the call.
   */
  Sync: grpc.handleUnaryCall<_cairn_v1_SyncRequest__Output, _cairn_v1_SyncResponse>;
  
  /**
   * A change feed without a session: a persistent (optionally recursive) watch whose
   * events stream until the caller cancels.
   */
  Watch: grpc.handleServerStreamingCall<_cairn_v1_WatchRequest__Output, _cairn_v1_WatchEvent>;
  
}

export interface CairnDefinition extends grpc.ServiceDefinition {
  Children: MethodDefinition<_cairn_v1_GetChildrenRequest, _cairn_v1_GetChildrenResponse, _cairn_v1_GetChildrenRequest__Output, _cairn_v1_GetChildrenResponse__Output>
  Create: MethodDefinition<_cairn_v1_CreateRequest, _cairn_v1_CreateResponse, _cairn_v1_CreateRequest__Output, _cairn_v1_CreateResponse__Output>
  Delete: MethodDefinition<_cairn_v1_DeleteRequest, _cairn_v1_DeleteResponse, _cairn_v1_DeleteRequest__Output, _cairn_v1_DeleteResponse__Output>
  Exists: MethodDefinition<_cairn_v1_ExistsRequest, _cairn_v1_ExistsResponse, _cairn_v1_ExistsRequest__Output, _cairn_v1_ExistsResponse__Output>
  Get: MethodDefinition<_cairn_v1_GetDataRequest, _cairn_v1_GetDataResponse, _cairn_v1_GetDataRequest__Output, _cairn_v1_GetDataResponse__Output>
  GetACL: MethodDefinition<_cairn_v1_GetACLRequest, _cairn_v1_GetACLResponse, _cairn_v1_GetACLRequest__Output, _cairn_v1_GetACLResponse__Output>
  Multi: MethodDefinition<_cairn_v1_MultiRequest, _cairn_v1_MultiResponse, _cairn_v1_MultiRequest__Output, _cairn_v1_MultiResponse__Output>
  Session: MethodDefinition<_cairn_v1_ClientMessage, _cairn_v1_ServerMessage, _cairn_v1_ClientMessage__Output, _cairn_v1_ServerMessage__Output>
  Set: MethodDefinition<_cairn_v1_SetDataRequest, _cairn_v1_SetDataResponse, _cairn_v1_SetDataRequest__Output, _cairn_v1_SetDataResponse__Output>
  SetACL: MethodDefinition<_cairn_v1_SetACLRequest, _cairn_v1_SetACLResponse, _cairn_v1_SetACLRequest__Output, _cairn_v1_SetACLResponse__Output>
  Sync: MethodDefinition<_cairn_v1_SyncRequest, _cairn_v1_SyncResponse, _cairn_v1_SyncRequest__Output, _cairn_v1_SyncResponse__Output>
  Watch: MethodDefinition<_cairn_v1_WatchRequest, _cairn_v1_WatchEvent, _cairn_v1_WatchRequest__Output, _cairn_v1_WatchEvent__Output>
}
