// Original file: proto/cairn.proto


export interface GetAllChildrenNumberResponse {
  'totalNumber'?: (number);
}

export interface GetAllChildrenNumberResponse__Output {
  'totalNumber': (number);
}
