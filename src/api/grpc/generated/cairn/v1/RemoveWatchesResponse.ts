// Original file: proto/cairn.proto


export interface RemoveWatchesResponse {
}

export interface RemoveWatchesResponse__Output {
}
