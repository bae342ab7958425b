// Original file: proto/cairn.proto


export interface CheckResponse {
}

export interface CheckResponse__Output {
}
