// Original file: proto/cairn.proto

import type { CreateRequest as _cairn_v1_CreateRequest, CreateRequest__Output as _cairn_v1_CreateRequest__Output } from '../../cairn/v1/CreateRequest.js';
import type { DeleteRequest as _cairn_v1_DeleteRequest, DeleteRequest__Output as _cairn_v1_DeleteRequest__Output } from '../../cairn/v1/DeleteRequest.js';
import type { SetDataRequest as _cairn_v1_SetDataRequest, SetDataRequest__Output as _cairn_v1_SetDataRequest__Output } from '../../cairn/v1/SetDataRequest.js';
import type { CheckRequest as _cairn_v1_CheckRequest, CheckRequest__Output as _cairn_v1_CheckRequest__Output } from '../../cairn/v1/CheckRequest.js';

/**
 * One operation of a multi.
 */
export interface MultiOp {
  'create'?: (_cairn_v1_CreateRequest | null);
  'delete'?: (_cairn_v1_DeleteRequest | null);
  'setData'?: (_cairn_v1_SetDataRequest | null);
  'check'?: (_cairn_v1_CheckRequest | null);
  'op'?: "create"|"delete"|"setData"|"check";
}

/**
 * One operation of a multi.
 */
export interface MultiOp__Output {
  'create'?: (_cairn_v1_CreateRequest__Output | null);
  'delete'?: (_cairn_v1_DeleteRequest__Output | null);
  'setData'?: (_cairn_v1_SetDataRequest__Output | null);
  'check'?: (_cairn_v1_CheckRequest__Output | null);
  'op'?: "create"|"delete"|"setData"|"check";
}
