// Original file: proto/cairn.proto


export interface AuthResponse {
}

export interface AuthResponse__Output {
}
