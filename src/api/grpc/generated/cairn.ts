import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ACL as _cairn_v1_ACL, ACL__Output as _cairn_v1_ACL__Output } from './cairn/v1/ACL.js';
import type { AddWatchRequest as _cairn_v1_AddWatchRequest, AddWatchRequest__Output as _cairn_v1_AddWatchRequest__Output } from './cairn/v1/AddWatchRequest.js';
import type { AddWatchResponse as _cairn_v1_AddWatchResponse, AddWatchResponse__Output as _cairn_v1_AddWatchResponse__Output } from './cairn/v1/AddWatchResponse.js';
import type { AuthRequest as _cairn_v1_AuthRequest, AuthRequest__Output as _cairn_v1_AuthRequest__Output } from './cairn/v1/AuthRequest.js';
import type { AuthResponse as _cairn_v1_AuthResponse, AuthResponse__Output as _cairn_v1_AuthResponse__Output } from './cairn/v1/AuthResponse.js';
import type { CairnClient as _cairn_v1_CairnClient, CairnDefinition as _cairn_v1_CairnDefinition } from './cairn/v1/Cairn.js';
import type { CheckRequest as _cairn_v1_CheckRequest, CheckRequest__Output as _cairn_v1_CheckRequest__Output } from './cairn/v1/CheckRequest.js';
import type { CheckResponse as _cairn_v1_CheckResponse, CheckResponse__Output as _cairn_v1_CheckResponse__Output } from './cairn/v1/CheckResponse.js';
import type { CheckWatchesRequest as _cairn_v1_CheckWatchesRequest, CheckWatchesRequest__Output as _cairn_v1_CheckWatchesRequest__Output } from './cairn/v1/CheckWatchesRequest.js';
import type { CheckWatchesResponse as _cairn_v1_CheckWatchesResponse, CheckWatchesResponse__Output as _cairn_v1_CheckWatchesResponse__Output } from './cairn/v1/CheckWatchesResponse.js';
import type { ClientInfo as _cairn_v1_ClientInfo, ClientInfo__Output as _cairn_v1_ClientInfo__Output } from './cairn/v1/ClientInfo.js';
import type { ClientMessage as _cairn_v1_ClientMessage, ClientMessage__Output as _cairn_v1_ClientMessage__Output } from './cairn/v1/ClientMessage.js';
import type { Close as _cairn_v1_Close, Close__Output as _cairn_v1_Close__Output } from './cairn/v1/Close.js';
import type { Closed as _cairn_v1_Closed, Closed__Output as _cairn_v1_Closed__Output } from './cairn/v1/Closed.js';
import type { Connect as _cairn_v1_Connect, Connect__Output as _cairn_v1_Connect__Output } from './cairn/v1/Connect.js';
import type { Connected as _cairn_v1_Connected, Connected__Output as _cairn_v1_Connected__Output } from './cairn/v1/Connected.js';
import type { CreateRequest as _cairn_v1_CreateRequest, CreateRequest__Output as _cairn_v1_CreateRequest__Output } from './cairn/v1/CreateRequest.js';
import type { CreateResponse as _cairn_v1_CreateResponse, CreateResponse__Output as _cairn_v1_CreateResponse__Output } from './cairn/v1/CreateResponse.js';
import type { DeleteRequest as _cairn_v1_DeleteRequest, DeleteRequest__Output as _cairn_v1_DeleteRequest__Output } from './cairn/v1/DeleteRequest.js';
import type { DeleteResponse as _cairn_v1_DeleteResponse, DeleteResponse__Output as _cairn_v1_DeleteResponse__Output } from './cairn/v1/DeleteResponse.js';
import type { ErrorDetail as _cairn_v1_ErrorDetail, ErrorDetail__Output as _cairn_v1_ErrorDetail__Output } from './cairn/v1/ErrorDetail.js';
import type { ErrorResult as _cairn_v1_ErrorResult, ErrorResult__Output as _cairn_v1_ErrorResult__Output } from './cairn/v1/ErrorResult.js';
import type { ExistsRequest as _cairn_v1_ExistsRequest, ExistsRequest__Output as _cairn_v1_ExistsRequest__Output } from './cairn/v1/ExistsRequest.js';
import type { ExistsResponse as _cairn_v1_ExistsResponse, ExistsResponse__Output as _cairn_v1_ExistsResponse__Output } from './cairn/v1/ExistsResponse.js';
import type { GetACLRequest as _cairn_v1_GetACLRequest, GetACLRequest__Output as _cairn_v1_GetACLRequest__Output } from './cairn/v1/GetACLRequest.js';
import type { GetACLResponse as _cairn_v1_GetACLResponse, GetACLResponse__Output as _cairn_v1_GetACLResponse__Output } from './cairn/v1/GetACLResponse.js';
import type { GetAllChildrenNumberRequest as _cairn_v1_GetAllChildrenNumberRequest, GetAllChildrenNumberRequest__Output as _cairn_v1_GetAllChildrenNumberRequest__Output } from './cairn/v1/GetAllChildrenNumberRequest.js';
import type { GetAllChildrenNumberResponse as _cairn_v1_GetAllChildrenNumberResponse, GetAllChildrenNumberResponse__Output as _cairn_v1_GetAllChildrenNumberResponse__Output } from './cairn/v1/GetAllChildrenNumberResponse.js';
import type { GetChildrenRequest as _cairn_v1_GetChildrenRequest, GetChildrenRequest__Output as _cairn_v1_GetChildrenRequest__Output } from './cairn/v1/GetChildrenRequest.js';
import type { GetChildrenResponse as _cairn_v1_GetChildrenResponse, GetChildrenResponse__Output as _cairn_v1_GetChildrenResponse__Output } from './cairn/v1/GetChildrenResponse.js';
import type { GetDataRequest as _cairn_v1_GetDataRequest, GetDataRequest__Output as _cairn_v1_GetDataRequest__Output } from './cairn/v1/GetDataRequest.js';
import type { GetDataResponse as _cairn_v1_GetDataResponse, GetDataResponse__Output as _cairn_v1_GetDataResponse__Output } from './cairn/v1/GetDataResponse.js';
import type { GetEphemeralsRequest as _cairn_v1_GetEphemeralsRequest, GetEphemeralsRequest__Output as _cairn_v1_GetEphemeralsRequest__Output } from './cairn/v1/GetEphemeralsRequest.js';
import type { GetEphemeralsResponse as _cairn_v1_GetEphemeralsResponse, GetEphemeralsResponse__Output as _cairn_v1_GetEphemeralsResponse__Output } from './cairn/v1/GetEphemeralsResponse.js';
import type { Id as _cairn_v1_Id, Id__Output as _cairn_v1_Id__Output } from './cairn/v1/Id.js';
import type { MultiOp as _cairn_v1_MultiOp, MultiOp__Output as _cairn_v1_MultiOp__Output } from './cairn/v1/MultiOp.js';
import type { MultiReadOp as _cairn_v1_MultiReadOp, MultiReadOp__Output as _cairn_v1_MultiReadOp__Output } from './cairn/v1/MultiReadOp.js';
import type { MultiReadRequest as _cairn_v1_MultiReadRequest, MultiReadRequest__Output as _cairn_v1_MultiReadRequest__Output } from './cairn/v1/MultiReadRequest.js';
import type { MultiReadResponse as _cairn_v1_MultiReadResponse, MultiReadResponse__Output as _cairn_v1_MultiReadResponse__Output } from './cairn/v1/MultiReadResponse.js';
import type { MultiReadResult as _cairn_v1_MultiReadResult, MultiReadResult__Output as _cairn_v1_MultiReadResult__Output } from './cairn/v1/MultiReadResult.js';
import type { MultiRequest as _cairn_v1_MultiRequest, MultiRequest__Output as _cairn_v1_MultiRequest__Output } from './cairn/v1/MultiRequest.js';
import type { MultiResponse as _cairn_v1_MultiResponse, MultiResponse__Output as _cairn_v1_MultiResponse__Output } from './cairn/v1/MultiResponse.js';
import type { MultiResult as _cairn_v1_MultiResult, MultiResult__Output as _cairn_v1_MultiResult__Output } from './cairn/v1/MultiResult.js';
import type { Ping as _cairn_v1_Ping, Ping__Output as _cairn_v1_Ping__Output } from './cairn/v1/Ping.js';
import type { Pong as _cairn_v1_Pong, Pong__Output as _cairn_v1_Pong__Output } from './cairn/v1/Pong.js';
import type { RemoveWatchesRequest as _cairn_v1_RemoveWatchesRequest, RemoveWatchesRequest__Output as _cairn_v1_RemoveWatchesRequest__Output } from './cairn/v1/RemoveWatchesRequest.js';
import type { RemoveWatchesResponse as _cairn_v1_RemoveWatchesResponse, RemoveWatchesResponse__Output as _cairn_v1_RemoveWatchesResponse__Output } from './cairn/v1/RemoveWatchesResponse.js';
import type { Request as _cairn_v1_Request, Request__Output as _cairn_v1_Request__Output } from './cairn/v1/Request.js';
import type { Response as _cairn_v1_Response, Response__Output as _cairn_v1_Response__Output } from './cairn/v1/Response.js';
import type { ServerMessage as _cairn_v1_ServerMessage, ServerMessage__Output as _cairn_v1_ServerMessage__Output } from './cairn/v1/ServerMessage.js';
import type { SetACLRequest as _cairn_v1_SetACLRequest, SetACLRequest__Output as _cairn_v1_SetACLRequest__Output } from './cairn/v1/SetACLRequest.js';
import type { SetACLResponse as _cairn_v1_SetACLResponse, SetACLResponse__Output as _cairn_v1_SetACLResponse__Output } from './cairn/v1/SetACLResponse.js';
import type { SetDataRequest as _cairn_v1_SetDataRequest, SetDataRequest__Output as _cairn_v1_SetDataRequest__Output } from './cairn/v1/SetDataRequest.js';
import type { SetDataResponse as _cairn_v1_SetDataResponse, SetDataResponse__Output as _cairn_v1_SetDataResponse__Output } from './cairn/v1/SetDataResponse.js';
import type { SetWatchesRequest as _cairn_v1_SetWatchesRequest, SetWatchesRequest__Output as _cairn_v1_SetWatchesRequest__Output } from './cairn/v1/SetWatchesRequest.js';
import type { SetWatchesResponse as _cairn_v1_SetWatchesResponse, SetWatchesResponse__Output as _cairn_v1_SetWatchesResponse__Output } from './cairn/v1/SetWatchesResponse.js';
import type { Stat as _cairn_v1_Stat, Stat__Output as _cairn_v1_Stat__Output } from './cairn/v1/Stat.js';
import type { SyncRequest as _cairn_v1_SyncRequest, SyncRequest__Output as _cairn_v1_SyncRequest__Output } from './cairn/v1/SyncRequest.js';
import type { SyncResponse as _cairn_v1_SyncResponse, SyncResponse__Output as _cairn_v1_SyncResponse__Output } from './cairn/v1/SyncResponse.js';
import type { WatchEvent as _cairn_v1_WatchEvent, WatchEvent__Output as _cairn_v1_WatchEvent__Output } from './cairn/v1/WatchEvent.js';
import type { WatchRequest as _cairn_v1_WatchRequest, WatchRequest__Output as _cairn_v1_WatchRequest__Output } from './cairn/v1/WatchRequest.js';
import type { WhoAmIRequest as _cairn_v1_WhoAmIRequest, WhoAmIRequest__Output as _cairn_v1_WhoAmIRequest__Output } from './cairn/v1/WhoAmIRequest.js';
import type { WhoAmIResponse as _cairn_v1_WhoAmIResponse, WhoAmIResponse__Output as _cairn_v1_WhoAmIResponse__Output } from './cairn/v1/WhoAmIResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  cairn: {
    v1: {
      ACL: MessageTypeDefinition<_cairn_v1_ACL, _cairn_v1_ACL__Output>
      AddWatchMode: EnumTypeDefinition
      AddWatchRequest: MessageTypeDefinition<_cairn_v1_AddWatchRequest, _cairn_v1_AddWatchRequest__Output>
      AddWatchResponse: MessageTypeDefinition<_cairn_v1_AddWatchResponse, _cairn_v1_AddWatchResponse__Output>
      AuthRequest: MessageTypeDefinition<_cairn_v1_AuthRequest, _cairn_v1_AuthRequest__Output>
      AuthResponse: MessageTypeDefinition<_cairn_v1_AuthResponse, _cairn_v1_AuthResponse__Output>
      Cairn: SubtypeConstructor<typeof grpc.Client, _cairn_v1_CairnClient> & { service: _cairn_v1_CairnDefinition }
      CheckRequest: MessageTypeDefinition<_cairn_v1_CheckRequest, _cairn_v1_CheckRequest__Output>
      CheckResponse: MessageTypeDefinition<_cairn_v1_CheckResponse, _cairn_v1_CheckResponse__Output>
      CheckWatchesRequest: MessageTypeDefinition<_cairn_v1_CheckWatchesRequest, _cairn_v1_CheckWatchesRequest__Output>
      CheckWatchesResponse: MessageTypeDefinition<_cairn_v1_CheckWatchesResponse, _cairn_v1_CheckWatchesResponse__Output>
      ClientInfo: MessageTypeDefinition<_cairn_v1_ClientInfo, _cairn_v1_ClientInfo__Output>
      ClientMessage: MessageTypeDefinition<_cairn_v1_ClientMessage, _cairn_v1_ClientMessage__Output>
      Close: MessageTypeDefinition<_cairn_v1_Close, _cairn_v1_Close__Output>
      CloseReason: EnumTypeDefinition
      Closed: MessageTypeDefinition<_cairn_v1_Closed, _cairn_v1_Closed__Output>
      Connect: MessageTypeDefinition<_cairn_v1_Connect, _cairn_v1_Connect__Output>
      Connected: MessageTypeDefinition<_cairn_v1_Connected, _cairn_v1_Connected__Output>
      CreateMode: EnumTypeDefinition
      CreateRequest: MessageTypeDefinition<_cairn_v1_CreateRequest, _cairn_v1_CreateRequest__Output>
      CreateResponse: MessageTypeDefinition<_cairn_v1_CreateResponse, _cairn_v1_CreateResponse__Output>
      DeleteRequest: MessageTypeDefinition<_cairn_v1_DeleteRequest, _cairn_v1_DeleteRequest__Output>
      DeleteResponse: MessageTypeDefinition<_cairn_v1_DeleteResponse, _cairn_v1_DeleteResponse__Output>
      ErrorDetail: MessageTypeDefinition<_cairn_v1_ErrorDetail, _cairn_v1_ErrorDetail__Output>
      ErrorResult: MessageTypeDefinition<_cairn_v1_ErrorResult, _cairn_v1_ErrorResult__Output>
      EventType: EnumTypeDefinition
      ExistsRequest: MessageTypeDefinition<_cairn_v1_ExistsRequest, _cairn_v1_ExistsRequest__Output>
      ExistsResponse: MessageTypeDefinition<_cairn_v1_ExistsResponse, _cairn_v1_ExistsResponse__Output>
      GetACLRequest: MessageTypeDefinition<_cairn_v1_GetACLRequest, _cairn_v1_GetACLRequest__Output>
      GetACLResponse: MessageTypeDefinition<_cairn_v1_GetACLResponse, _cairn_v1_GetACLResponse__Output>
      GetAllChildrenNumberRequest: MessageTypeDefinition<_cairn_v1_GetAllChildrenNumberRequest, _cairn_v1_GetAllChildrenNumberRequest__Output>
      GetAllChildrenNumberResponse: MessageTypeDefinition<_cairn_v1_GetAllChildrenNumberResponse, _cairn_v1_GetAllChildrenNumberResponse__Output>
      GetChildrenRequest: MessageTypeDefinition<_cairn_v1_GetChildrenRequest, _cairn_v1_GetChildrenRequest__Output>
      GetChildrenResponse: MessageTypeDefinition<_cairn_v1_GetChildrenResponse, _cairn_v1_GetChildrenResponse__Output>
      GetDataRequest: MessageTypeDefinition<_cairn_v1_GetDataRequest, _cairn_v1_GetDataRequest__Output>
      GetDataResponse: MessageTypeDefinition<_cairn_v1_GetDataResponse, _cairn_v1_GetDataResponse__Output>
      GetEphemeralsRequest: MessageTypeDefinition<_cairn_v1_GetEphemeralsRequest, _cairn_v1_GetEphemeralsRequest__Output>
      GetEphemeralsResponse: MessageTypeDefinition<_cairn_v1_GetEphemeralsResponse, _cairn_v1_GetEphemeralsResponse__Output>
      Id: MessageTypeDefinition<_cairn_v1_Id, _cairn_v1_Id__Output>
      KeeperState: EnumTypeDefinition
      MultiOp: MessageTypeDefinition<_cairn_v1_MultiOp, _cairn_v1_MultiOp__Output>
      MultiReadOp: MessageTypeDefinition<_cairn_v1_MultiReadOp, _cairn_v1_MultiReadOp__Output>
      MultiReadRequest: MessageTypeDefinition<_cairn_v1_MultiReadRequest, _cairn_v1_MultiReadRequest__Output>
      MultiReadResponse: MessageTypeDefinition<_cairn_v1_MultiReadResponse, _cairn_v1_MultiReadResponse__Output>
      MultiReadResult: MessageTypeDefinition<_cairn_v1_MultiReadResult, _cairn_v1_MultiReadResult__Output>
      MultiRequest: MessageTypeDefinition<_cairn_v1_MultiRequest, _cairn_v1_MultiRequest__Output>
      MultiResponse: MessageTypeDefinition<_cairn_v1_MultiResponse, _cairn_v1_MultiResponse__Output>
      MultiResult: MessageTypeDefinition<_cairn_v1_MultiResult, _cairn_v1_MultiResult__Output>
      Ping: MessageTypeDefinition<_cairn_v1_Ping, _cairn_v1_Ping__Output>
      Pong: MessageTypeDefinition<_cairn_v1_Pong, _cairn_v1_Pong__Output>
      RemoveWatchesRequest: MessageTypeDefinition<_cairn_v1_RemoveWatchesRequest, _cairn_v1_RemoveWatchesRequest__Output>
      RemoveWatchesResponse: MessageTypeDefinition<_cairn_v1_RemoveWatchesResponse, _cairn_v1_RemoveWatchesResponse__Output>
      Request: MessageTypeDefinition<_cairn_v1_Request, _cairn_v1_Request__Output>
      Response: MessageTypeDefinition<_cairn_v1_Response, _cairn_v1_Response__Output>
      ServerMessage: MessageTypeDefinition<_cairn_v1_ServerMessage, _cairn_v1_ServerMessage__Output>
      SetACLRequest: MessageTypeDefinition<_cairn_v1_SetACLRequest, _cairn_v1_SetACLRequest__Output>
      SetACLResponse: MessageTypeDefinition<_cairn_v1_SetACLResponse, _cairn_v1_SetACLResponse__Output>
      SetDataRequest: MessageTypeDefinition<_cairn_v1_SetDataRequest, _cairn_v1_SetDataRequest__Output>
      SetDataResponse: MessageTypeDefinition<_cairn_v1_SetDataResponse, _cairn_v1_SetDataResponse__Output>
      SetWatchesRequest: MessageTypeDefinition<_cairn_v1_SetWatchesRequest, _cairn_v1_SetWatchesRequest__Output>
      SetWatchesResponse: MessageTypeDefinition<_cairn_v1_SetWatchesResponse, _cairn_v1_SetWatchesResponse__Output>
      Stat: MessageTypeDefinition<_cairn_v1_Stat, _cairn_v1_Stat__Output>
      SyncRequest: MessageTypeDefinition<_cairn_v1_SyncRequest, _cairn_v1_SyncRequest__Output>
      SyncResponse: MessageTypeDefinition<_cairn_v1_SyncResponse, _cairn_v1_SyncResponse__Output>
      WatchEvent: MessageTypeDefinition<_cairn_v1_WatchEvent, _cairn_v1_WatchEvent__Output>
      WatchRequest: MessageTypeDefinition<_cairn_v1_WatchRequest, _cairn_v1_WatchRequest__Output>
      WatcherType: EnumTypeDefinition
      WhoAmIRequest: MessageTypeDefinition<_cairn_v1_WhoAmIRequest, _cairn_v1_WhoAmIRequest__Output>
      WhoAmIResponse: MessageTypeDefinition<_cairn_v1_WhoAmIResponse, _cairn_v1_WhoAmIResponse__Output>
    }
  }
}

