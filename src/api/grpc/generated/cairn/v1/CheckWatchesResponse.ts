// Original file: proto/cairn.proto


export interface CheckWatchesResponse {
}

export interface CheckWatchesResponse__Output {
}
