// Original file: proto/cairn.proto

import type { CreateResponse as _cairn_v1_CreateResponse, CreateResponse__Output as _cairn_v1_CreateResponse__Output } from '../../cairn/v1/CreateResponse.js';
import type { DeleteResponse as _cairn_v1_DeleteResponse, DeleteResponse__Output as _cairn_v1_DeleteResponse__Output } from '../../cairn/v1/DeleteResponse.js';
import type { SetDataResponse as _cairn_v1_SetDataResponse, SetDataResponse__Output as _cairn_v1_SetDataResponse__Output } from '../../cairn/v1/SetDataResponse.js';
import type { CheckResponse as _cairn_v1_CheckResponse, CheckResponse__Output as _cairn_v1_CheckResponse__Output } from '../../cairn/v1/CheckResponse.js';
import type { ErrorResult as _cairn_v1_ErrorResult, ErrorResult__Output as _cairn_v1_ErrorResult__Output } from '../../cairn/v1/ErrorResult.js';

/**
 * One result of a multi, in op order.
 */
export interface MultiResult {
  'create'?: (_cairn_v1_CreateResponse | null);
  'delete'?: (_cairn_v1_DeleteResponse | null);
  'setData'?: (_cairn_v1_SetDataResponse | null);
  'check'?: (_cairn_v1_CheckResponse | null);
  'error'?: (_cairn_v1_ErrorResult | null);
  'result'?: "create"|"delete"|"setData"|"check"|"error";
}

/**
 * One result of a multi, in op order.
 */
export interface MultiResult__Output {
  'create'?: (_cairn_v1_CreateResponse__Output | null);
  'delete'?: (_cairn_v1_DeleteResponse__Output | null);
  'setData'?: (_cairn_v1_SetDataResponse__Output | null);
  'check'?: (_cairn_v1_CheckResponse__Output | null);
  'error'?: (_cairn_v1_ErrorResult__Output | null);
  'result'?: "create"|"delete"|"setData"|"check"|"error";
}
