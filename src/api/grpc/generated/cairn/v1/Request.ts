// Original file: proto/cairn.proto

import type { CreateRequest as _cairn_v1_CreateRequest, CreateRequest__Output as _cairn_v1_CreateRequest__Output } from '../../cairn/v1/CreateRequest.js';
import type { DeleteRequest as _cairn_v1_DeleteRequest, DeleteRequest__Output as _cairn_v1_DeleteRequest__Output } from '../../cairn/v1/DeleteRequest.js';
import type { SetDataRequest as _cairn_v1_SetDataRequest, SetDataRequest__Output as _cairn_v1_SetDataRequest__Output } from '../../cairn/v1/SetDataRequest.js';
import type { CheckRequest as _cairn_v1_CheckRequest, CheckRequest__Output as _cairn_v1_CheckRequest__Output } from '../../cairn/v1/CheckRequest.js';
import type { SetACLRequest as _cairn_v1_SetACLRequest, SetACLRequest__Output as _cairn_v1_SetACLRequest__Output } from '../../cairn/v1/SetACLRequest.js';
import type { MultiRequest as _cairn_v1_MultiRequest, MultiRequest__Output as _cairn_v1_MultiRequest__Output } from '../../cairn/v1/MultiRequest.js';
import type { GetDataRequest as _cairn_v1_GetDataRequest, GetDataRequest__Output as _cairn_v1_GetDataRequest__Output } from '../../cairn/v1/GetDataRequest.js';
import type { ExistsRequest as _cairn_v1_ExistsRequest, ExistsRequest__Output as _cairn_v1_ExistsRequest__Output } from '../../cairn/v1/ExistsRequest.js';
import type { GetChildrenRequest as _cairn_v1_GetChildrenRequest, GetChildrenRequest__Output as _cairn_v1_GetChildrenRequest__Output } from '../../cairn/v1/GetChildrenRequest.js';
import type { GetACLRequest as _cairn_v1_GetACLRequest, GetACLRequest__Output as _cairn_v1_GetACLRequest__Output } from '../../cairn/v1/GetACLRequest.js';
import type { GetAllChildrenNumberRequest as _cairn_v1_GetAllChildrenNumberRequest, GetAllChildrenNumberRequest__Output as _cairn_v1_GetAllChildrenNumberRequest__Output } from '../../cairn/v1/GetAllChildrenNumberRequest.js';
import type { GetEphemeralsRequest as _cairn_v1_GetEphemeralsRequest, GetEphemeralsRequest__Output as _cairn_v1_GetEphemeralsRequest__Output } from '../../cairn/v1/GetEphemeralsRequest.js';
import type { MultiReadRequest as _cairn_v1_MultiReadRequest, MultiReadRequest__Output as _cairn_v1_MultiReadRequest__Output } from '../../cairn/v1/MultiReadRequest.js';
import type { SyncRequest as _cairn_v1_SyncRequest, SyncRequest__Output as _cairn_v1_SyncRequest__Output } from '../../cairn/v1/SyncRequest.js';
import type { AddWatchRequest as _cairn_v1_AddWatchRequest, AddWatchRequest__Output as _cairn_v1_AddWatchRequest__Output } from '../../cairn/v1/AddWatchRequest.js';
import type { RemoveWatchesRequest as _cairn_v1_RemoveWatchesRequest, RemoveWatchesRequest__Output as _cairn_v1_RemoveWatchesRequest__Output } from '../../cairn/v1/RemoveWatchesRequest.js';
import type { CheckWatchesRequest as _cairn_v1_CheckWatchesRequest, CheckWatchesRequest__Output as _cairn_v1_CheckWatchesRequest__Output } from '../../cairn/v1/CheckWatchesRequest.js';
import type { SetWatchesRequest as _cairn_v1_SetWatchesRequest, SetWatchesRequest__Output as _cairn_v1_SetWatchesRequest__Output } from '../../cairn/v1/SetWatchesRequest.js';
import type { AuthRequest as _cairn_v1_AuthRequest, AuthRequest__Output as _cairn_v1_AuthRequest__Output } from '../../cairn/v1/AuthRequest.js';
import type { WhoAmIRequest as _cairn_v1_WhoAmIRequest, WhoAmIRequest__Output as _cairn_v1_WhoAmIRequest__Output } from '../../cairn/v1/WhoAmIRequest.js';
import type { Long } from '@grpc/proto-loader';

/**
 * One request in a session. The client picks `xid` (increasing); the server echoes it.
 */
export interface Request {
  'xid'?: (number | string | Long);
  'create'?: (_cairn_v1_CreateRequest | null);
  'delete'?: (_cairn_v1_DeleteRequest | null);
  'setData'?: (_cairn_v1_SetDataRequest | null);
  'check'?: (_cairn_v1_CheckRequest | null);
  'setAcl'?: (_cairn_v1_SetACLRequest | null);
  'multi'?: (_cairn_v1_MultiRequest | null);
  'getData'?: (_cairn_v1_GetDataRequest | null);
  'exists'?: (_cairn_v1_ExistsRequest | null);
  'getChildren'?: (_cairn_v1_GetChildrenRequest | null);
  'getAcl'?: (_cairn_v1_GetACLRequest | null);
  'getAllChildrenNumber'?: (_cairn_v1_GetAllChildrenNumberRequest | null);
  'getEphemerals'?: (_cairn_v1_GetEphemeralsRequest | null);
  'multiRead'?: (_cairn_v1_MultiReadRequest | null);
  'sync'?: (_cairn_v1_SyncRequest | null);
  'addWatch'?: (_cairn_v1_AddWatchRequest | null);
  'removeWatches'?: (_cairn_v1_RemoveWatchesRequest | null);
  'checkWatches'?: (_cairn_v1_CheckWatchesRequest | null);
  'setWatches'?: (_cairn_v1_SetWatchesRequest | null);
  'auth'?: (_cairn_v1_AuthRequest | null);
  'whoAmI'?: (_cairn_v1_WhoAmIRequest | null);
  'op'?: "create"|"delete"|"setData"|"check"|"setAcl"|"multi"|"getData"|"exists"|"getChildren"|"getAcl"|"getAllChildrenNumber"|"getEphemerals"|"multiRead"|"sync"|"addWatch"|"removeWatches"|"checkWatches"|"setWatches"|"auth"|"whoAmI";
}

/**
 * One request in a session. The client picks `xid` (increasing); the server echoes it.
 */
export interface Request__Output {
  'xid': (number);
  'create'?: (_cairn_v1_CreateRequest__Output | null);
  'delete'?: (_cairn_v1_DeleteRequest__Output | null);
  'setData'?: (_cairn_v1_SetDataRequest__Output | null);
  'check'?: (_cairn_v1_CheckRequest__Output | null);
  'setAcl'?: (_cairn_v1_SetACLRequest__Output | null);
  'multi'?: (_cairn_v1_MultiRequest__Output | null);
  'getData'?: (_cairn_v1_GetDataRequest__Output | null);
  'exists'?: (_cairn_v1_ExistsRequest__Output | null);
  'getChildren'?: (_cairn_v1_GetChildrenRequest__Output | null);
  'getAcl'?: (_cairn_v1_GetACLRequest__Output | null);
  'getAllChildrenNumber'?: (_cairn_v1_GetAllChildrenNumberRequest__Output | null);
  'getEphemerals'?: (_cairn_v1_GetEphemeralsRequest__Output | null);
  'multiRead'?: (_cairn_v1_MultiReadRequest__Output | null);
  'sync'?: (_cairn_v1_SyncRequest__Output | null);
  'addWatch'?: (_cairn_v1_AddWatchRequest__Output | null);
  'removeWatches'?: (_cairn_v1_RemoveWatchesRequest__Output | null);
  'checkWatches'?: (_cairn_v1_CheckWatchesRequest__Output | null);
  'setWatches'?: (_cairn_v1_SetWatchesRequest__Output | null);
  'auth'?: (_cairn_v1_AuthRequest__Output | null);
  'whoAmI'?: (_cairn_v1_WhoAmIRequest__Output | null);
  'op'?: "create"|"delete"|"setData"|"check"|"setAcl"|"multi"|"getData"|"exists"|"getChildren"|"getAcl"|"getAllChildrenNumber"|"getEphemerals"|"multiRead"|"sync"|"addWatch"|"removeWatches"|"checkWatches"|"setWatches"|"auth"|"whoAmI";
}
