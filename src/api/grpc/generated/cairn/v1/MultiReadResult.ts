// Original file: proto/cairn.proto

import type { GetDataResponse as _cairn_v1_GetDataResponse, GetDataResponse__Output as _cairn_v1_GetDataResponse__Output } from '../../cairn/v1/GetDataResponse.js';
import type { GetChildrenResponse as _cairn_v1_GetChildrenResponse, GetChildrenResponse__Output as _cairn_v1_GetChildrenResponse__Output } from '../../cairn/v1/GetChildrenResponse.js';
import type { ErrorResult as _cairn_v1_ErrorResult, ErrorResult__Output as _cairn_v1_ErrorResult__Output } from '../../cairn/v1/ErrorResult.js';

/**
 * One result of a multiRead, in op order.
 */
export interface MultiReadResult {
  'getData'?: (_cairn_v1_GetDataResponse | null);
  'getChildren'?: (_cairn_v1_GetChildrenResponse | null);
  'error'?: (_cairn_v1_ErrorResult | null);
  'result'?: "getData"|"getChildren"|"error";
}

/**
 * One result of a multiRead, in op order.
 */
export interface MultiReadResult__Output {
  'getData'?: (_cairn_v1_GetDataResponse__Output | null);
  'getChildren'?: (_cairn_v1_GetChildrenResponse__Output | null);
  'error'?: (_cairn_v1_ErrorResult__Output | null);
  'result'?: "getData"|"getChildren"|"error";
}
