// Original file: proto/cairn.proto


export interface SetWatchesResponse {
}

export interface SetWatchesResponse__Output {
}
