// Original file: proto/cairn.proto


export interface AddWatchResponse {
}

export interface AddWatchResponse__Output {
}
