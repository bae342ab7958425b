// Original file: proto/cairn.proto


/**
 * The failure of one operation in a multi. When a multi fails, the failing op carries its
 * code and the ops rolled back with it carry 0 (Ok).
 */
export interface ErrorResult {
  'code'?: (number);
}

/**
 * The failure of one operation in a multi. When a multi fails, the failing op carries its
 * code and the ops rolled back with it carry 0 (Ok).
 */
export interface ErrorResult__Output {
  'code': (number);
}
