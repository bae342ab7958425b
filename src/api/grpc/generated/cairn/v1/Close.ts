// Original file: proto/cairn.proto


/**
 * Ask the server to close the session.
 */
export interface Close {
}

/**
 * Ask the server to close the session.
 */
export interface Close__Output {
}
