// Original file: proto/cairn.proto


export interface GetEphemeralsResponse {
  'paths'?: (string)[];
}

export interface GetEphemeralsResponse__Output {
  'paths': (string)[];
}
