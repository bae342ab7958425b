// Original file: proto/cairn.proto


/**
 * Ask which identities the session has.
 */
export interface WhoAmIRequest {
}

/**
 * Ask which identities the session has.
 */
export interface WhoAmIRequest__Output {
}
