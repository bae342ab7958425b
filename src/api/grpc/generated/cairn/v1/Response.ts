// Original file: proto/cairn.proto

import type { CreateResponse as _cairn_v1_CreateResponse, CreateResponse__Output as _cairn_v1_CreateResponse__Output } from '../../cairn/v1/CreateResponse.js';
import type { DeleteResponse as _cairn_v1_DeleteResponse, DeleteResponse__Output as _cairn_v1_DeleteResponse__Output } from '../../cairn/v1/DeleteResponse.js';
import type { SetDataResponse as _cairn_v1_SetDataResponse, SetDataResponse__Output as _cairn_v1_SetDataResponse__Output } from '../../cairn/v1/SetDataResponse.js';
import type { CheckResponse as _cairn_v1_CheckResponse, CheckResponse__Output as _cairn_v1_CheckResponse__Output } from '../../cairn/v1/CheckResponse.js';
import type { SetACLResponse as _cairn_v1_SetACLResponse, SetACLResponse__Output as _cairn_v1_SetACLResponse__Output } from '../../cairn/v1/SetACLResponse.js';
import type { MultiResponse as _cairn_v1_MultiResponse, MultiResponse__Output as _cairn_v1_MultiResponse__Output } from '../../cairn/v1/MultiResponse.js';
import type { GetDataResponse as _cairn_v1_GetDataResponse, GetDataResponse__Output as _cairn_v1_GetDataResponse__Output } from '../../cairn/v1/GetDataResponse.js';
import type { ExistsResponse as _cairn_v1_ExistsResponse, ExistsResponse__Output as _cairn_v1_ExistsResponse__Output } from '../../cairn/v1/ExistsResponse.js';
import type { GetChildrenResponse as _cairn_v1_GetChildrenResponse, GetChildrenResponse__Output as _cairn_v1_GetChildrenResponse__Output } from '../../cairn/v1/GetChildrenResponse.js';
import type { GetACLResponse as _cairn_v1_GetACLResponse, GetACLResponse__Output as _cairn_v1_GetACLResponse__Output } from '../../cairn/v1/GetACLResponse.js';
import type { GetAllChildrenNumberResponse as _cairn_v1_GetAllChildrenNumberResponse, GetAllChildrenNumberResponse__Output as _cairn_v1_GetAllChildrenNumberResponse__Output } from '../../cairn/v1/GetAllChildrenNumberResponse.js';
import type { GetEphemeralsResponse as _cairn_v1_GetEphemeralsResponse, GetEphemeralsResponse__Output as _cairn_v1_GetEphemeralsResponse__Output } from '../../cairn/v1/GetEphemeralsResponse.js';
import type { MultiReadResponse as _cairn_v1_MultiReadResponse, MultiReadResponse__Output as _cairn_v1_MultiReadResponse__Output } from '../../cairn/v1/MultiReadResponse.js';
import type { SyncResponse as _cairn_v1_SyncResponse, SyncResponse__Output as _cairn_v1_SyncResponse__Output } from '../../cairn/v1/SyncResponse.js';
import type { AddWatchResponse as _cairn_v1_AddWatchResponse, AddWatchResponse__Output as _cairn_v1_AddWatchResponse__Output } from '../../cairn/v1/AddWatchResponse.js';
import type { RemoveWatchesResponse as _cairn_v1_RemoveWatchesResponse, RemoveWatchesResponse__Output as _cairn_v1_RemoveWatchesResponse__Output } from '../../cairn/v1/RemoveWatchesResponse.js';
import type { CheckWatchesResponse as _cairn_v1_CheckWatchesResponse, CheckWatchesResponse__Output as _cairn_v1_CheckWatchesResponse__Output } from '../../cairn/v1/CheckWatchesResponse.js';
import type { SetWatchesResponse as _cairn_v1_SetWatchesResponse, SetWatchesResponse__Output as _cairn_v1_SetWatchesResponse__Output } from '../../cairn/v1/SetWatchesResponse.js';
import type { AuthResponse as _cairn_v1_AuthResponse, AuthResponse__Output as _cairn_v1_AuthResponse__Output } from '../../cairn/v1/AuthResponse.js';
import type { WhoAmIResponse as _cairn_v1_WhoAmIResponse, WhoAmIResponse__Output as _cairn_v1_WhoAmIResponse__Output } from '../../cairn/v1/WhoAmIResponse.js';
import type { ErrorDetail as _cairn_v1_ErrorDetail, ErrorDetail__Output as _cairn_v1_ErrorDetail__Output } from '../../cairn/v1/ErrorDetail.js';
import type { Long } from '@grpc/proto-loader';

/**
 * The answer to one Request: the same xid, the server's last zxid when answering, and
 * either the result (the member named like the request's) or an error.
 */
export interface Response {
  'xid'?: (number | string | Long);
  'zxid'?: (number | string | Long);
  'create'?: (_cairn_v1_CreateResponse | null);
  'delete'?: (_cairn_v1_DeleteResponse | null);
  'setData'?: (_cairn_v1_SetDataResponse | null);
  'check'?: (_cairn_v1_CheckResponse | null);
  'setAcl'?: (_cairn_v1_SetACLResponse | null);
  'multi'?: (_cairn_v1_MultiResponse | null);
  'getData'?: (_cairn_v1_GetDataResponse | null);
  'exists'?: (_cairn_v1_ExistsResponse | null);
  'getChildren'?: (_cairn_v1_GetChildrenResponse | null);
  'getAcl'?: (_cairn_v1_GetACLResponse | null);
  'getAllChildrenNumber'?: (_cairn_v1_GetAllChildrenNumberResponse | null);
  'getEphemerals'?: (_cairn_v1_GetEphemeralsResponse | null);
  'multiRead'?: (_cairn_v1_MultiReadResponse | null);
  'sync'?: (_cairn_v1_SyncResponse | null);
  'addWatch'?: (_cairn_v1_AddWatchResponse | null);
  'removeWatches'?: (_cairn_v1_RemoveWatchesResponse | null);
  'checkWatches'?: (_cairn_v1_CheckWatchesResponse | null);
  'setWatches'?: (_cairn_v1_SetWatchesResponse | null);
  'auth'?: (_cairn_v1_AuthResponse | null);
  'whoAmI'?: (_cairn_v1_WhoAmIResponse | null);
  /**
   * The request failed; the session goes on.
   */
  'error'?: (_cairn_v1_ErrorDetail | null);
  'result'?: "create"|"delete"|"setData"|"check"|"setAcl"|"multi"|"getData"|"exists"|"getChildren"|"getAcl"|"getAllChildrenNumber"|"getEphemerals"|"multiRead"|"sync"|"addWatch"|"removeWatches"|"checkWatches"|"setWatches"|"auth"|"whoAmI"|"error";
}

/**
 * The answer to one Request: the same xid, the server's last zxid when answering, and
 * either the result (the member named like the request's) or an error.
 */
export interface Response__Output {
  'xid': (number);
  'zxid': (number);
  'create'?: (_cairn_v1_CreateResponse__Output | null);
  'delete'?: (_cairn_v1_DeleteResponse__Output | null);
  'setData'?: (_cairn_v1_SetDataResponse__Output | null);
  'check'?: (_cairn_v1_CheckResponse__Output | null);
  'setAcl'?: (_cairn_v1_SetACLResponse__Output | null);
  'multi'?: (_cairn_v1_MultiResponse__Output | null);
  'getData'?: (_cairn_v1_GetDataResponse__Output | null);
  'exists'?: (_cairn_v1_ExistsResponse__Output | null);
  'getChildren'?: (_cairn_v1_GetChildrenResponse__Output | null);
  'getAcl'?: (_cairn_v1_GetACLResponse__Output | null);
  'getAllChildrenNumber'?: (_cairn_v1_GetAllChildrenNumberResponse__Output | null);
  'getEphemerals'?: (_cairn_v1_GetEphemeralsResponse__Output | null);
  'multiRead'?: (_cairn_v1_MultiReadResponse__Output | null);
  'sync'?: (_cairn_v1_SyncResponse__Output | null);
  'addWatch'?: (_cairn_v1_AddWatchResponse__Output | null);
  'removeWatches'?: (_cairn_v1_RemoveWatchesResponse__Output | null);
  'checkWatches'?: (_cairn_v1_CheckWatchesResponse__Output | null);
  'setWatches'?: (_cairn_v1_SetWatchesResponse__Output | null);
  'auth'?: (_cairn_v1_AuthResponse__Output | null);
  'whoAmI'?: (_cairn_v1_WhoAmIResponse__Output | null);
  /**
   * The request failed; the session goes on.
   */
  'error'?: (_cairn_v1_ErrorDetail__Output | null);
  'result'?: "create"|"delete"|"setData"|"check"|"setAcl"|"multi"|"getData"|"exists"|"getChildren"|"getAcl"|"getAllChildrenNumber"|"getEphemerals"|"multiRead"|"sync"|"addWatch"|"removeWatches"|"checkWatches"|"setWatches"|"auth"|"whoAmI"|"error";
}
