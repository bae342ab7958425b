// Original file: proto/cairn.proto


export interface SyncResponse {
  'path'?: (string);
}

export interface SyncResponse__Output {
  'path': (string);
}
