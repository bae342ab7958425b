// Original file: proto/cairn.proto

import type { ClientInfo as _cairn_v1_ClientInfo, ClientInfo__Output as _cairn_v1_ClientInfo__Output } from '../../cairn/v1/ClientInfo.js';

export interface WhoAmIResponse {
  'clientInfo'?: (_cairn_v1_ClientInfo)[];
}

export interface WhoAmIResponse__Output {
  'clientInfo': (_cairn_v1_ClientInfo__Output)[];
}
