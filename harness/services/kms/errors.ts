/** KMS error types as AWS names them; the wire carries the name in `__type` and `x-amzn-errortype`. */
export type KmsErrorType =
  | 'AlreadyExistsException'
  | 'DisabledException'
  | 'IncorrectKeyException'
  | 'InvalidAliasNameException'
  | 'InvalidCiphertextException'
  | 'InvalidKeyUsageException'
  | 'InvalidMarkerException'
  | 'KMSInternalException'
  | 'KMSInvalidStateException'
  | 'LimitExceededException'
  | 'NotFoundException'
  | 'ThrottlingException'
  | 'UnsupportedOperationException'
  | 'ValidationException'
  | 'UnknownOperationException'
  | 'MissingAuthenticationTokenException'
  | 'SerializationException'
  | 'InternalFailure';

export class KmsError extends Error {
  constructor(
    readonly type: KmsErrorType,
    message: string,
    /** HTTP status: 400 for client errors, 500 for KMSInternalException, 501 for LocalStack's not-implemented. */
    readonly status = type === 'KMSInternalException' ? 500 : 400,
  ) {
    super(message);
    this.name = type;
  }
}
