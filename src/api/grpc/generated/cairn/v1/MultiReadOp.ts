// Original file: proto/cairn.proto

import type { GetDataRequest as _cairn_v1_GetDataRequest, GetDataRequest__Output as _cairn_v1_GetDataRequest__Output } from '../../cairn/v1/GetDataRequest.js';
import type { GetChildrenRequest as _cairn_v1_GetChildrenRequest, GetChildrenRequest__Output as _cairn_v1_GetChildrenRequest__Output } from '../../cairn/v1/GetChildrenRequest.js';

/**
 * One read of a multiRead.
 */
export interface MultiReadOp {
  'getData'?: (_cairn_v1_GetDataRequest | null);
  'getChildren'?: (_cairn_v1_GetChildrenRequest | null);
  'op'?: "getData"|"getChildren";
}

/**
 * One read of a multiRead.
 */
export interface MultiReadOp__Output {
  'getData'?: (_cairn_v1_GetDataRequest__Output | null);
  'getChildren'?: (_cairn_v1_GetChildrenRequest__Output | null);
  'op'?: "getData"|"getChildren";
}
