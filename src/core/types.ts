// The internal contract every facade speaks: requests, responses, txns and watch events.
// Names, fields and numbers mirror ZooKeeper's (zookeeper.jute, ZooDefs.OpCode, CreateMode).
//
// Numbers: zxids and session ids are JS numbers, asserted to be safe integers. A zxid is
// epoch * 2^32 + counter, so epochs up to 2^21 fit; session ids are made to fit 53 bits.

export type Zxid = number;
export type SessionId = number;
export type Data = Uint8Array | null;

export const ZXID_COUNTER_SPAN = 0x1_0000_0000;

export function makeZxid(epoch: number, counter: number): Zxid {
  return epoch * ZXID_COUNTER_SPAN + counter;
}

export function zxidEpoch(zxid: Zxid): number {
  return Math.floor(zxid / ZXID_COUNTER_SPAN);
}

export function zxidCounter(zxid: Zxid): number {
  return zxid % ZXID_COUNTER_SPAN;
}

/** The zxid after `zxid` for a server that alone decides its epochs: a used-up counter starts the next epoch. */
export function zxidAfter(zxid: Zxid): Zxid {
  return zxidCounter(zxid) >= ZXID_COUNTER_SPAN - 1 ? makeZxid(zxidEpoch(zxid) + 1, 1) : zxid + 1;
}

export interface Stat {
  czxid: Zxid;
  mzxid: Zxid;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: SessionId;
  dataLength: number;
  numChildren: number;
  pzxid: Zxid;
}

export const Perms = {
  READ: 1,
  WRITE: 2,
  CREATE: 4,
  DELETE: 8,
  ADMIN: 16,
  ALL: 31,
} as const;

export interface Id {
  scheme: string;
  id: string;
}

export interface ACL {
  perms: number;
  id: Id;
}

/** The version that matches any (ZooKeeper's -1 in setData, delete, check and setACL). */
export const ANY_VERSION = -1;

export const OPEN_ACL_UNSAFE: readonly ACL[] = Object.freeze([{ perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } }]);
export const READ_ACL_UNSAFE: readonly ACL[] = Object.freeze([{ perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } }]);
export const CREATOR_ALL_ACL: readonly ACL[] = Object.freeze([{ perms: Perms.ALL, id: { scheme: 'auth', id: '' } }]);

/** CreateMode flag values as on ZooKeeper's wire. */
export const CreateMode = {
  PERSISTENT: 0,
  EPHEMERAL: 1,
  PERSISTENT_SEQUENTIAL: 2,
  EPHEMERAL_SEQUENTIAL: 3,
  CONTAINER: 4,
  PERSISTENT_WITH_TTL: 5,
  PERSISTENT_SEQUENTIAL_WITH_TTL: 6,
} as const;
export type CreateMode = (typeof CreateMode)[keyof typeof CreateMode];

export function isCreateMode(value: number): value is CreateMode {
  return Number.isInteger(value) && value >= 0 && value <= 6;
}

export function isSequential(mode: CreateMode): boolean {
  return mode === CreateMode.PERSISTENT_SEQUENTIAL || mode === CreateMode.EPHEMERAL_SEQUENTIAL || mode === CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL;
}

export function isEphemeral(mode: CreateMode): boolean {
  return mode === CreateMode.EPHEMERAL || mode === CreateMode.EPHEMERAL_SEQUENTIAL;
}

export function isTtl(mode: CreateMode): boolean {
  return mode === CreateMode.PERSISTENT_WITH_TTL || mode === CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL;
}

/** ZooDefs.OpCode */
export const OpCode = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  setWatches2: 105,
  addWatch: 106,
  whoAmI: 107,
  createSession: -10,
  closeSession: -11,
  error: -1,
} as const;

// ---------------------------------------------------------------------------------------------
// Requests: what every facade turns its input into.

export interface CreateRequest {
  op: 'create';
  path: string;
  data: Data;
  acl: ACL[];
  mode: CreateMode;
  /** Milliseconds; only for the TTL modes (ZooKeeper's createTTL). */
  ttl?: number;
}
export interface DeleteRequest {
  op: 'delete';
  path: string;
  version: number;
}
export interface SetDataRequest {
  op: 'setData';
  path: string;
  data: Data;
  version: number;
}
export interface CheckRequest {
  op: 'check';
  path: string;
  version: number;
}
export interface SetACLRequest {
  op: 'setACL';
  path: string;
  acl: ACL[];
  version: number;
}
export type MultiOp = CreateRequest | DeleteRequest | SetDataRequest | CheckRequest;
export interface MultiRequest {
  op: 'multi';
  ops: MultiOp[];
}

export interface GetDataRequest {
  op: 'getData';
  path: string;
  watch: boolean;
}
export interface ExistsRequest {
  op: 'exists';
  path: string;
  watch: boolean;
}
export interface GetChildrenRequest {
  op: 'getChildren';
  path: string;
  watch: boolean;
}
export interface GetACLRequest {
  op: 'getACL';
  path: string;
}
export interface GetAllChildrenNumberRequest {
  op: 'getAllChildrenNumber';
  path: string;
}
export interface GetEphemeralsRequest {
  op: 'getEphemerals';
  prefixPath: string;
}
export type MultiReadOp = GetDataRequest | GetChildrenRequest;
export interface MultiReadRequest {
  op: 'multiRead';
  ops: MultiReadOp[];
}
export interface SyncRequest {
  op: 'sync';
  path: string;
}

export const AddWatchMode = {
  PERSISTENT: 0,
  PERSISTENT_RECURSIVE: 1,
} as const;
export type AddWatchMode = (typeof AddWatchMode)[keyof typeof AddWatchMode];

export interface AddWatchRequest {
  op: 'addWatch';
  path: string;
  mode: AddWatchMode;
}

/** ZooKeeper's WatcherType for removeWatches/checkWatches. */
export const WatcherType = {
  CHILDREN: 1,
  DATA: 2,
  ANY: 3,
  PERSISTENT: 4,
  PERSISTENT_RECURSIVE: 5,
} as const;
export type WatcherType = (typeof WatcherType)[keyof typeof WatcherType];

export interface RemoveWatchesRequest {
  op: 'removeWatches';
  path: string;
  type: WatcherType;
}
export interface CheckWatchesRequest {
  op: 'checkWatches';
  path: string;
  type: WatcherType;
}
export interface SetWatchesRequest {
  op: 'setWatches';
  relativeZxid: Zxid;
  dataWatches: string[];
  existWatches: string[];
  childWatches: string[];
  persistentWatches: string[];
  persistentRecursiveWatches: string[];
}
export interface AuthRequest {
  op: 'auth';
  scheme: string;
  credentials: Uint8Array;
}
export interface WhoAmIRequest {
  op: 'whoAmI';
}

export type WriteRequest = CreateRequest | DeleteRequest | SetDataRequest | SetACLRequest | CheckRequest | MultiRequest;
export type ReadRequest =
  | GetDataRequest
  | ExistsRequest
  | GetChildrenRequest
  | GetACLRequest
  | GetAllChildrenNumberRequest
  | GetEphemeralsRequest
  | MultiReadRequest;
export type SessionRequest =
  | SyncRequest
  | AddWatchRequest
  | RemoveWatchesRequest
  | CheckWatchesRequest
  | SetWatchesRequest
  | AuthRequest
  | WhoAmIRequest;
export type Request = WriteRequest | ReadRequest | SessionRequest;

const WRITE_OPS: ReadonlySet<string> = new Set(['create', 'delete', 'setData', 'setACL', 'check', 'multi']);
export function isWriteRequest(request: Request): request is WriteRequest {
  return WRITE_OPS.has(request.op);
}

// ---------------------------------------------------------------------------------------------
// Responses

export interface CreateResponse {
  op: 'create';
  path: string;
  stat: Stat;
}
export interface DeleteResponse {
  op: 'delete';
}
export interface SetDataResponse {
  op: 'setData';
  stat: Stat;
}
export interface CheckResponse {
  op: 'check';
}
export interface SetACLResponse {
  op: 'setACL';
  stat: Stat;
}
export interface ErrorResult {
  op: 'error';
  /** ZooKeeper code; 0 (Ok) marks an op rolled back because another op of the multi failed. */
  code: number;
}
export type MultiResult = CreateResponse | DeleteResponse | SetDataResponse | CheckResponse | ErrorResult;
export interface MultiResponse {
  op: 'multi';
  results: MultiResult[];
}
export interface GetDataResponse {
  op: 'getData';
  data: Data;
  stat: Stat;
}
export interface ExistsResponse {
  op: 'exists';
  /** null when the node does not exist (ZooKeeper answers exists on a missing node without error). */
  stat: Stat | null;
}
export interface GetChildrenResponse {
  op: 'getChildren';
  children: string[];
  stat: Stat;
}
export interface GetACLResponse {
  op: 'getACL';
  acl: ACL[];
  stat: Stat;
}
export interface GetAllChildrenNumberResponse {
  op: 'getAllChildrenNumber';
  totalNumber: number;
}
export interface GetEphemeralsResponse {
  op: 'getEphemerals';
  paths: string[];
}
export type MultiReadResult = GetDataResponse | GetChildrenResponse | ErrorResult;
export interface MultiReadResponse {
  op: 'multiRead';
  results: MultiReadResult[];
}
export interface SyncResponse {
  op: 'sync';
  path: string;
}
export interface EmptyResponse {
  op: 'addWatch' | 'removeWatches' | 'checkWatches' | 'setWatches' | 'auth';
}
export interface WhoAmIResponse {
  op: 'whoAmI';
  clientInfo: { authScheme: string; user: string }[];
}

export type Response =
  | CreateResponse
  | DeleteResponse
  | SetDataResponse
  | CheckResponse
  | SetACLResponse
  | MultiResponse
  | GetDataResponse
  | ExistsResponse
  | GetChildrenResponse
  | GetACLResponse
  | GetAllChildrenNumberResponse
  | GetEphemeralsResponse
  | MultiReadResponse
  | SyncResponse
  | EmptyResponse
  | WhoAmIResponse;

// ---------------------------------------------------------------------------------------------
// Watch events (Watcher.Event.EventType / KeeperState)

export const EventType = {
  None: -1,
  NodeCreated: 1,
  NodeDeleted: 2,
  NodeDataChanged: 3,
  NodeChildrenChanged: 4,
  DataWatchRemoved: 5,
  ChildWatchRemoved: 6,
  PersistentWatchRemoved: 7,
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

export const KeeperState = {
  Disconnected: 0,
  SyncConnected: 3,
  AuthFailed: 4,
  ConnectedReadOnly: 5,
  SaslAuthenticated: 6,
  Expired: -112,
  Closed: 7,
} as const;
export type KeeperState = (typeof KeeperState)[keyof typeof KeeperState];

export interface WatchEvent {
  type: EventType;
  state: KeeperState;
  path: string;
  /** zxid of the txn that fired it. */
  zxid: Zxid;
}

// ---------------------------------------------------------------------------------------------
// Txns: what is logged, replicated and applied. Results are decided at prep time (sequential
// names, versions) so that applying is deterministic on every replica and idempotent on replay
// over a fuzzy snapshot.

export interface TxnHeader {
  sessionId: SessionId;
  cxid: number;
  zxid: Zxid;
  /** Wall-clock milliseconds chosen by the proposer, used for ctime/mtime and TTLs. */
  time: number;
}

export interface CreateSessionTxn {
  type: 'createSession';
  timeoutMs: number;
  /** The session's password, so any replica can check a resuming client. */
  password: Uint8Array;
}
export interface CloseSessionTxn {
  type: 'closeSession';
  /**
   * The session's ephemerals, sorted, as prep found them (ZooKeeper's paths2Delete); absent when
   * it has none. A replay over a fuzzy snapshot needs the list: the snapshot may lack an ephemeral
   * this txn deleted while holding its parent as it was before, and that parent's pzxid must move.
   */
  paths?: string[];
}
export interface CreateTxn {
  type: 'create';
  path: string;
  data: Data;
  acl: ACL[];
  /** 0 for persistent nodes; the owner for ephemerals. */
  ephemeralOwner: SessionId;
  /** The parent's cversion after this create. */
  parentCVersion: number;
  mode: CreateMode;
  ttl: number;
}
export interface DeleteTxn {
  type: 'delete';
  path: string;
}
export interface SetDataTxn {
  type: 'setData';
  path: string;
  data: Data;
  version: number;
}
export interface SetACLTxn {
  type: 'setACL';
  path: string;
  acl: ACL[];
  version: number;
}
export interface CheckTxn {
  type: 'check';
  path: string;
  version: number;
}
export interface ErrorTxn {
  type: 'error';
  code: number;
}
export type MultiSubTxn = CreateTxn | DeleteTxn | SetDataTxn | CheckTxn | ErrorTxn;
export interface MultiTxn {
  type: 'multi';
  txns: MultiSubTxn[];
}
/** A server-initiated removal (container or TTL reaping); ZooKeeper's deleteContainer. */
export interface DeleteContainerTxn {
  type: 'deleteContainer';
  path: string;
}

export type Txn = CreateSessionTxn | CloseSessionTxn | CreateTxn | DeleteTxn | SetDataTxn | SetACLTxn | CheckTxn | ErrorTxn | MultiTxn | DeleteContainerTxn;

export interface TxnRecord {
  header: TxnHeader;
  txn: Txn;
}
