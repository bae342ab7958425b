// Original file: proto/cairn.proto


export interface DeleteResponse {
}

export interface DeleteResponse__Output {
}
